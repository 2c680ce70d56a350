"""The RQ job function; runs in the forked work horse, the only place that imports TensorFlow.

One run of a job: claim it (lease + record, atomically), train into DATA_DIR/jobs/<id>/run/
(resuming from its checkpoint when an earlier attempt was lost), publish it as
DATA_DIR/models/<model_id> in one rename, and record the outcome. The record is the truth;
what RQ thinks of this function's return or exception does not change the job's status.
"""
from __future__ import annotations

import logging
from pathlib import Path

import redis
from rq import get_current_job
from rq.timeouts import JobTimeoutException

from models import storage
from models.checkpoints import checkpoint_step
from models.config import TrainConfig
from models.errors import TrainingAborted, TrainingError
from worker import lease, webhooks
from worker.hooks import JobHooks, Superseded
from worker.queue import cancel_key, pause_key
from worker.records import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, TERMINAL, JobStore
from worker.settings import QueueSettings, get_queue_settings

log = logging.getLogger(__name__)


def train_job(payload: dict) -> dict:
    job = get_current_job()
    settings = get_queue_settings()
    if job.timeout and job.timeout > 0:  # the limit it was enqueued with, for the failure message
        settings = settings.model_copy(update={"job_timeout": job.timeout})
    return run_job(payload, conn=job.connection, settings=settings)


def run_job(payload: dict, *, conn: redis.Redis, settings: QueueSettings) -> dict:
    """Run (or resume) the job in `payload` in this process; returns what happened, for the logs.

    Returns {"skipped": why} without touching anything when the job is finished, canceled, or
    trained by a live horse elsewhere (a duplicate delivery).
    """
    store = JobStore(Path(settings.data_dir))
    job_id = payload["job_id"]
    token = lease.new_token()
    claim = _claim(store, conn, settings, job_id, token)
    if "skipped" in claim:
        log.info("job %s: skipped (%s)", job_id, claim["skipped"])
        return claim
    keeper = lease.LeaseKeeper(conn, job_id, token, settings.lease_ttl_s).start()
    hooks = JobHooks(store=store, conn=conn, queue_name=settings.queue_name, job_id=job_id, token=token,
                     keeper=keeper, cancel_key=cancel_key(job_id), checkpoint_step=claim["checkpoint_step"],
                     webhook_progress_interval_s=settings.webhook_progress_interval_s, pause_key=pause_key(job_id))
    try:
        return _run(store, conn, settings, job_id, payload, claim["model_id"], hooks)
    except Superseded:
        log.warning("job %s: lease lost to another worker; this attempt stops", job_id)
        return {"superseded": True}
    finally:
        keeper.stop()
        try:
            lease.release(conn, job_id, token)
        except redis.RedisError:
            log.warning("job %s: could not release the lease (it expires)", job_id, exc_info=True)


def _claim(store: JobStore, conn: redis.Redis, settings: QueueSettings, job_id: str, token: str) -> dict:
    """Take the job: {"model_id", "checkpoint_step"}, or {"skipped": why}. Under the record lock."""
    with store.transaction(job_id) as txn:
        if txn is None:
            return {"skipped": "no record (the job was removed)"}
        record = txn.record
        if record.get("queue") != settings.queue_name:
            return {"skipped": f"record belongs to queue {record.get('queue')!r}"}
        if txn.status in TERMINAL:
            return {"skipped": f"already {txn.status}"}
        if not lease.acquire(conn, job_id, token, settings.lease_ttl_s):
            return {"skipped": "a live worker is training it"}
        step = checkpoint_step(store.run_dir(job_id) / "checkpoints")
        record["model_id"] = record.get("model_id") or storage.new_id()  # stable: a resumed run publishes here
        if txn.status == QUEUED:
            txn.set_status(RUNNING)
            txn.event("started", f"started by worker {token.rsplit(':', 1)[0]}")
        else:
            where = f"resumed from step {step}" if step else "restarted from step 0 (no checkpoint had been saved)"
            txn.event("resumed", f"{where} by worker {token.rsplit(':', 1)[0]} (attempt {record['attempt'] + 1})",
                      step=step or 0)
        record.update(attempt=record["attempt"] + 1, lease=token, pending_resume=False)
        return {"model_id": record["model_id"], "checkpoint_step": step}


def _run(store, conn, settings, job_id, payload, model_id, hooks: JobHooks) -> dict:
    data_dir = Path(settings.data_dir)
    published = storage.models_root(data_dir) / model_id
    if (published / storage.MODEL_CARD).is_file():  # an earlier attempt published, then died before recording it
        return _finish(store, conn, settings, hooks, SUCCEEDED, f"succeeded: model {model_id} published")
    if hooks.should_abort():  # canceled (or paused) while it was being dequeued: don't even load TensorFlow
        return _paused(store, hooks) if hooks.paused else _canceled(store, conn, settings, hooks)
    try:
        config = TrainConfig.model_validate(payload["config"])
    except ValueError as e:  # pydantic's ValidationError; only if app and worker versions differ
        return _failed(store, conn, settings, hooks, f"the job's training config is not valid for this worker: {e}")

    from models import training  # imports TensorFlow: here, after the fork, never in the worker parent

    run_dir = store.run_dir(job_id)
    try:
        training.train(config, data_dir=data_dir, run_dir=run_dir, model_id=model_id, job_id=job_id,
                       progress_fn=hooks.progress, abort_fn=hooks.should_abort,
                       feature_network=_feature_network())
    except TrainingAborted:
        if hooks.lost_lease:
            raise Superseded(job_id)
        if hooks.paused:
            return _paused(store, hooks)
        return _canceled(store, conn, settings, hooks)
    # Failures are recorded, then re-raised: RQ logs them and keeps them in its failed registry.
    except TrainingError as e:
        _failed(store, conn, settings, hooks, str(e))
        storage.remove_dir(run_dir)  # its checkpoints cannot help: the input was bad
        raise
    except JobTimeoutException:
        _failed(store, conn, settings, hooks, f"training did not finish within the job time limit "
                                              f"({settings.job_timeout} s); use fewer steps or raise JOB_TIMEOUT")
        raise
    except Exception as e:  # a bug: say so, keep the details for the log
        _failed(store, conn, settings, hooks, f"training failed because of an internal error "
                                              f"({type(e).__name__}: {str(e)[:200]}); see the worker log for job {job_id}")
        raise
    return _finish(store, conn, settings, hooks, SUCCEEDED, f"succeeded: model {model_id} published",
                   publish=(run_dir, published))


def _canceled(store, conn, settings, hooks: JobHooks) -> dict:
    step = checkpoint_step(store.run_dir(hooks.job_id) / "checkpoints")  # the loop saved one as it stopped
    message = f"canceled at step {step}; its checkpoint is kept" if step else "canceled"
    progress = {**hooks.latest, "checkpoint_step": step} if hooks.latest else None
    return _finish(store, conn, settings, hooks, CANCELED, message, progress=progress)


def _paused(store, hooks: JobHooks) -> dict:
    """Its worker is shutting down: the job waits for the next worker, which resumes it from the
    checkpoint the loop saved as it stopped (the worker puts it back on the queue on its way out)."""
    step = checkpoint_step(store.run_dir(hooks.job_id) / "checkpoints")
    with store.transaction(hooks.job_id) as txn:
        hooks.check_owner(txn)
        txn.record.update(pending_resume=True, lease=None)
        if hooks.latest:
            txn.record["progress"] = {**hooks.latest, "checkpoint_step": step}
        txn.event("paused", f"paused at step {step}: its worker is shutting down; the next worker resumes it "
                            "from there", step=step)
    log.info("job %s: paused at step %s for the worker's shutdown", hooks.job_id, step)
    return {"paused": True}


def _failed(store, conn, settings, hooks: JobHooks, error: str) -> dict:
    return _finish(store, conn, settings, hooks, FAILED, f"failed: {error}", error=error)


def _finish(store, conn, settings, hooks: JobHooks, status: str, message: str, *, error: str | None = None,
            publish: tuple[Path, Path] | None = None, progress: dict | None = None) -> dict:
    with store.transaction(hooks.job_id) as txn:
        hooks.check_owner(txn)
        if publish is not None:
            storage.publish_dir(*publish)  # one rename, under the lock: published <=> recorded succeeded
        txn.set_status(status)
        txn.record["error"] = error
        if progress is not None:
            txn.record["progress"] = progress
        txn.event(CANCELED if status == CANCELED else "finished", message, status=status)
        record = txn.record
    webhooks.notify(conn, settings.queue_name, record, status)
    log.info("job %s: %s", hooks.job_id, message)
    return {"status": status, "model_id": record["model_id"] if status == SUCCEEDED else None}


def _feature_network() -> str:
    """The KID network for jobs with eval_every (training.train evaluates only when it is set)."""
    from models.metrics.features import DEFAULT_FEATURE_NETWORK

    return get_queue_settings().feature_network or str(DEFAULT_FEATURE_NETWORK)
