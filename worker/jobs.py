"""The RQ job function; runs in the forked work horse, the only place that imports TensorFlow.

One run of a job: claim it (lease + record, atomically), train into DATA_DIR/jobs/<id>/run/
(resuming from its checkpoint when an earlier attempt was lost), publish it as
DATA_DIR/models/<model_id> in one rename, and record the outcome. The record is the truth: every
outcome (succeeded, failed, canceled) is recorded and then returned, never raised, so RQ only ever
retries a job that should run again. Two things make RQ run it again, through the `Retry` every job
is enqueued with (jobs.queue): the horse dying (worker.training_worker records the loss), and a pause
(`JobPaused` below) when the worker that forked this horse is asked to shut down.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import redis
from rq import Worker, get_current_job
from rq.timeouts import JobTimeoutException

from jobs import webhooks
from jobs.events import EventType
from jobs.queue import cancel_key
from jobs.record import JobProgress, JobRecord
from jobs.settings import QueueSettings, get_queue_settings
from jobs.status import JobStatus
from jobs.store import JobStore
from jobs.timestamps import utc_now_iso
from models import storage
from models.checkpoints import checkpoint_step
from models.config import TrainConfig
from models.errors import TrainingAborted, TrainingError
from worker import lease
from worker.hooks import JobHooks, Superseded

log = logging.getLogger(__name__)


class JobPaused(Exception):
    """Raised to RQ after a pause is recorded: RQ's Retry puts the job back on the queue for the next worker."""


def train_job(payload: dict) -> dict:
    job = get_current_job()
    settings = get_queue_settings()
    if job.timeout and job.timeout > 0:  # the limit it was enqueued with, for the failure message
        settings = settings.model_copy(update={"job_timeout": job.timeout})
    try:
        return run_job(payload, conn=job.connection, settings=settings, shutdown_requested=_worker_shutdown(job))
    except JobPaused:
        raise  # RQ's Retry puts it back on the queue
    except Exception:
        # Not an outcome (a bug, Redis gone mid-claim): no instant retries; RQ's failed registry keeps the
        # traceback, and the worker's sweep decides what becomes of the job (worker.recovery).
        job.retries_left = 0
        raise


def _worker_shutdown(job) -> Callable[[], bool] | None:
    """Whether the RQ worker that runs this horse was asked to stop (RQ stores the request on the worker)."""
    if not job.worker_name:
        return None
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=job.connection)
    return None if worker is None else (lambda: worker.shutdown_requested_date is not None)


def run_job(payload: dict, *, conn: redis.Redis, settings: QueueSettings,
            shutdown_requested: Callable[[], bool] | None = None) -> dict:
    """Run (or resume) the job in `payload` in this process; returns what happened, for the logs.

    Returns {"skipped": why} without touching anything when the job is finished, canceled, or
    trained by a live horse elsewhere (a duplicate delivery). Raises JobPaused once a pause (asked
    through `shutdown_requested`) is recorded.
    """
    started = time.monotonic()  # RQ's limit counts from here too (the horse starts the job just before)
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
                     webhook_progress_interval_s=settings.webhook_progress_interval_s,
                     shutdown_requested=shutdown_requested, deadline=started + settings.job_timeout)
    try:
        return _run(store, conn, settings, job_id, payload, claim["model_id"], hooks)
    except Superseded:
        log.warning("job %s: this horse lost its lease (taken over, or Redis unreachable for a TTL); "
                    "this attempt stops", job_id)
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
        if record.queue != settings.queue_name:
            return {"skipped": f"record belongs to queue {record.queue!r}"}
        if record.status.is_terminal:
            return {"skipped": f"already {record.status}"}
        if not lease.acquire(conn, job_id, token, settings.lease_ttl_s):
            return {"skipped": "a live worker is training it"}
        step = checkpoint_step(store.run_dir(job_id) / "checkpoints")
        record.model_id = record.model_id or storage.new_id()  # stable: a resumed run publishes here
        # Events are shown to the job's owner: no worker host or PID in them (the lease token has both).
        if record.status == JobStatus.QUEUED:
            record.move_to(JobStatus.RUNNING)
            txn.event(EventType.STARTED, "started")
        else:
            where = f"resumed from step {step}" if step else "restarted from step 0 (no checkpoint had been saved)"
            txn.event(EventType.RESUMED, f"{where} (attempt {record.attempt + 1})", step=step or 0)
        log.info("job %s: claimed by %s", job_id, token)
        record.attempt += 1
        record.lease, record.pending_resume = token, False
        return {"model_id": record.model_id, "checkpoint_step": step}


def _run(store, conn, settings, job_id, payload, model_id, hooks: JobHooks) -> dict:
    data_dir = Path(settings.data_dir)
    published = storage.models_root(data_dir) / model_id
    if (published / storage.MODEL_CARD).is_file():  # an earlier attempt published, then died before recording it
        return _finish(store, conn, settings, hooks, JobStatus.SUCCEEDED, f"succeeded: model {model_id} published")
    if hooks.should_abort():  # canceled (or paused) while it was being dequeued: don't even load TensorFlow
        return _stopped(store, conn, settings, hooks)
    try:
        config = TrainConfig.model_validate(payload["config"])
    except ValueError as e:  # pydantic's ValidationError; only if app and worker versions differ
        return _failed(store, conn, settings, hooks, f"the job's training config is not valid for this worker: {e}")

    from models import training  # imports TensorFlow: here, after the fork, never in the worker parent

    run_dir = store.run_dir(job_id)
    try:
        training.train(config, data_dir=data_dir, run_dir=run_dir, model_id=model_id, job_id=job_id,
                       progress_fn=hooks.progress, abort_fn=hooks.should_abort,
                       feature_network=_feature_network(settings))
    except TrainingAborted:
        if hooks.lost_lease:
            raise Superseded(job_id)
        return _stopped(store, conn, settings, hooks)
    # Failures are recorded and returned: RQ must not retry them (its log keeps the traceback of a bug).
    except TrainingError as e:
        storage.remove_dir(run_dir)  # its checkpoints cannot help: the input was bad
        return _failed(store, conn, settings, hooks, str(e))
    except Exception as e:
        if _is_job_timeout(e):
            return _timed_out(store, conn, settings, hooks)
        # a bug: say so, keep the details for the log
        log.exception("job %s: training failed", job_id)
        return _failed(store, conn, settings, hooks, f"training failed because of an internal error "
                                                     f"({type(e).__name__}: {str(e)[:200]}); see the worker log for "
                                                     f"job {job_id}")
    return _finish(store, conn, settings, hooks, JobStatus.SUCCEEDED, f"succeeded: model {model_id} published",
                   publish=(run_dir, published))


def _stopped(store, conn, settings, hooks: JobHooks) -> dict:
    """The outcome of a run its abort_fn stopped: paused, past its time limit, or canceled."""
    if hooks.paused:
        return _paused(store, hooks)
    if hooks.timed_out:
        return _timed_out(store, conn, settings, hooks)
    return _canceled(store, conn, settings, hooks)


def _timed_out(store, conn, settings, hooks: JobHooks) -> dict:
    return _failed(store, conn, settings, hooks, f"training did not finish within the job time limit "
                                                 f"({settings.job_timeout} s); use fewer steps or raise JOB_TIMEOUT")


def _is_job_timeout(error: Exception) -> bool:
    """RQ's time-limit alarm, also when it landed while TensorFlow's C++ was raising an error of its own: pybind11
    then reports a RuntimeError ("MISMATCH of original and normalized active exception types ... REPLACED BY
    JobTimeoutException") that carries the timeout only in its message (seen in tests/worker/test_jobs.py)."""
    return isinstance(error, JobTimeoutException) or (
        isinstance(error, RuntimeError) and f"REPLACED BY {JobTimeoutException.__name__}" in str(error))


def _canceled(store, conn, settings, hooks: JobHooks) -> dict:
    step = checkpoint_step(store.run_dir(hooks.job_id) / "checkpoints")  # the loop saved one as it stopped
    message = f"canceled at step {step}; its checkpoint is kept" if step else "canceled"
    return _finish(store, conn, settings, hooks, JobStatus.CANCELED, message, progress=_last_progress(hooks, step))


def _paused(store, hooks: JobHooks) -> dict:
    """Its worker is shutting down: record the pause, then raise JobPaused so that RQ's Retry puts the
    job back on the queue; the next worker resumes it from the checkpoint the loop saved as it stopped."""
    step = checkpoint_step(store.run_dir(hooks.job_id) / "checkpoints")
    with store.transaction(hooks.job_id) as txn:
        hooks.check_owner(txn)
        txn.record.pending_resume, txn.record.lease = True, None
        if hooks.latest is not None:
            txn.record.progress = _last_progress(hooks, step)
        txn.event(EventType.PAUSED, f"paused at step {step}: its worker is shutting down; the next worker "
                                    "resumes it from there", step=step)
    log.info("job %s: paused at step %s for the worker's shutdown", hooks.job_id, step)
    raise JobPaused(f"job {hooks.job_id} paused at step {step} for its worker's shutdown; RQ's Retry requeues it")


def _last_progress(hooks: JobHooks, checkpoint: int | None) -> JobProgress | None:
    if hooks.latest is None:
        return None
    return JobProgress(**{**hooks.latest.model_dump(), "checkpoint_step": checkpoint}, updated_at=utc_now_iso())


def _failed(store, conn, settings, hooks: JobHooks, error: str) -> dict:
    return _finish(store, conn, settings, hooks, JobStatus.FAILED, f"failed: {error}", error=error)


def _finish(store, conn, settings, hooks: JobHooks, status: JobStatus, message: str, *, error: str | None = None,
            publish: tuple[Path, Path] | None = None, progress: JobProgress | None = None) -> dict:
    with store.transaction(hooks.job_id) as txn:
        hooks.check_owner(txn)
        if publish is not None:
            storage.publish_dir(*publish)  # one rename, under the lock: published <=> recorded succeeded
        record: JobRecord = txn.record
        record.move_to(status)
        record.error = error
        if progress is not None:
            record.progress = progress
        txn.event(EventType.CANCELED if status == JobStatus.CANCELED else EventType.FINISHED, message, status=status)
    webhooks.notify(conn, settings.queue_name, record, status)
    log.info("job %s: %s", hooks.job_id, message)
    return {"status": str(status), "model_id": record.model_id if status == JobStatus.SUCCEEDED else None}


def _feature_network(settings: QueueSettings) -> str:
    """The KID network for jobs with eval_every (training.train evaluates only when it is set)."""
    from models.metrics.features import DEFAULT_FEATURE_NETWORK

    return settings.feature_network or str(DEFAULT_FEATURE_NETWORK)
