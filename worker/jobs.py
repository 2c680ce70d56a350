"""The RQ job function; runs in the forked work horse, the only place that imports TensorFlow."""
from __future__ import annotations

import logging

from rq import get_current_job

from models import storage
from models.config import TrainConfig
from models.errors import TrainingAborted, TrainingError
from worker.hooks import JobHooks
from worker.settings import get_queue_settings
from worker.staging import training_staging_dir, unmark
from worker.views import utc_now_iso

log = logging.getLogger(__name__)


def train_job(payload: dict) -> dict:
    """Train into a staging folder, publish it as DATA_DIR/models/<model_id>, return {"model_id"}.

    TrainingError: the job fails with the error's message in meta["error"] (re-raised for RQ).
    TrainingAborted (cancel flag): the job returns normally with meta["canceled"], which the
    job view reports as "canceled". Other errors (timeouts, bugs, out of memory) propagate and
    worker.views.failure_message explains them. A staging folder never outlives the job
    (worker.staging: even when the horse is killed).
    """
    job = get_current_job()
    hooks = JobHooks(job)
    if hooks.should_abort():  # canceled while it was being dequeued: don't even load TensorFlow
        return _canceled(job)
    data_dir = get_queue_settings().data_dir
    try:
        config = TrainConfig.model_validate(payload["config"])
    except ValueError as e:  # pydantic's ValidationError; only if app and worker versions differ
        _fail(job, f"the job's training config is not valid for this worker: {e}")
        raise

    from models import training  # imports TensorFlow: here, after the fork, never in the worker parent

    model_id = storage.new_id()
    with training_staging_dir(data_dir) as run_dir:  # removed on any exit unless published
        try:
            training.train(
                config, data_dir=data_dir, run_dir=run_dir, model_id=model_id, job_id=payload["job_id"],
                progress_fn=hooks.progress, abort_fn=hooks.should_abort,
            )
        except TrainingAborted:
            return _canceled(job)
        except TrainingError as e:
            _fail(job, str(e))
            raise
        unmark(run_dir)
        storage.publish_dir(run_dir, storage.models_root(data_dir) / model_id)
    job.meta["model_id"] = model_id
    job.save_meta()
    log.info("job %s: published model %s", job.id, model_id)
    return {"model_id": model_id}


def _canceled(job) -> dict:
    job.meta.update(canceled=True, finished_at=utc_now_iso())
    job.save_meta()
    log.info("job %s: canceled", job.id)
    return {"canceled": True}


def _fail(job, message: str) -> None:
    job.meta["error"] = message
    job.save_meta()
