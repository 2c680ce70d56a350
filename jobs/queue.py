"""Enqueue, read and cancel training jobs: the API's door to jobs (TF-free).

A job is a record on disk (jobs.store, the source of truth for status, progress and events) plus an
RQ job of the same id that carries it through the queue. Losing Redis loses no job: the worker's
sweep (worker.recovery) puts unfinished ones back on the queue.

Every RQ job is enqueued with an RQ `Retry`, so RQ itself puts the job back on the queue when it
should run again: its work horse was killed (the worker records the loss first, worker.training_worker)
or it paused for its worker's shutdown (worker.jobs). The job function never raises for an outcome it
recorded, so a retry always means "resume".
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path

import redis
from rq import Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from jobs import ownership, webhooks
from jobs.events import EventType, JobEvent
from jobs.record import JobRecord, Webhook
from jobs.settings import QueueSettings
from jobs.status import JobStatus
from jobs.store import JobStore
from jobs.views import JobView, job_view
from models import storage
from models.config import TrainConfig

log = logging.getLogger(__name__)

TRAIN_JOB = "worker.jobs.train_job"  # by path: the API never imports the job code (or TensorFlow)
SERIALIZER = JSONSerializer  # payloads are plain JSON: readable in redis-cli, no pickle between processes
RESUMES_PER_RQ_JOB = 100  # RQ's Retry count; past it the sweep enqueues a fresh RQ job (worker.recovery)
CANCEL_FLAG_GRACE_S = 24 * 3600  # the flag outlives the job's time limit by this much
PREVIEW_FILE = "preview.png"


def cancel_key(job_id: str) -> str:
    """Set by JobQueue.cancel, polled by the running job's abort check (the record says so too)."""
    return f"transfergen:cancel:{job_id}"


class JobQueue:
    """The training queue as the API sees it; reads return job views (jobs.views)."""

    def __init__(self, conn: redis.Redis, settings: QueueSettings):
        self.conn = conn
        self.settings = settings
        self.store = JobStore(Path(settings.data_dir))
        self.queue = Queue(settings.queue_name, connection=conn, serializer=SERIALIZER)

    def enqueue(self, config: TrainConfig, *, webhook_url: str | None = None, webhook_progress: bool = False,
                owner: str | None = None) -> JobView:
        record = self.store.create(JobRecord(
            id=uuid.uuid4().hex,
            queue=self.settings.queue_name,
            config=config.model_dump(mode="json"),
            webhook=Webhook(url=webhook_url, progress=webhook_progress) if webhook_url else None,
            owner=owner,
        ), message=f"queued: {describe(config)}")
        try:
            if owner is not None:  # the run folder becomes the model's: it inherits the owner (jobs.ownership)
                ownership.write_owner(self.store.run_dir(record.id), owner)
            self.submit(record.id, record.config)
        except (redis.RedisError, OSError):
            self.store.remove(record.id)  # the client gets a 503 and no half-made job
            raise
        return self._view(record)

    def submit(self, job_id: str, config: dict) -> None:
        """Put the job on the RQ queue: first time, or again after its worker or Redis was lost."""
        self.delete_rq_job(job_id)  # and its registry entries: the new RQ job starts clean
        self.queue.enqueue_call(
            TRAIN_JOB,
            args=({"job_id": job_id, "config": config},),
            job_id=job_id,
            timeout=self.settings.job_timeout,
            result_ttl=self.settings.result_ttl,
            failure_ttl=self.settings.failure_ttl,
            description=describe(TrainConfig.model_validate(config)),
            retry=Retry(max=RESUMES_PER_RQ_JOB),
        )

    def get(self, job_id: str) -> JobView | None:
        record = self.record(job_id)
        return None if record is None else self._view(record)

    def record(self, job_id: str) -> JobRecord | None:
        """This queue's record of the job, or None (ids come from URLs: validated here)."""
        if not storage.is_valid_id(job_id):
            return None
        record = self.store.read(job_id)
        return record if record is not None and record.queue == self.settings.queue_name else None

    def list(self) -> list[JobView]:
        """All jobs still remembered (see worker.recovery for how long), newest first."""
        return [self._view(record) for record in self.store.list(self.settings.queue_name)]

    def events(self, job_id: str, after: int = 0) -> list[JobEvent] | None:
        """The job's event log after seq `after`; None for an unknown job."""
        if self.record(job_id) is None:
            return None
        return self.store.events(job_id, after)

    def preview_path(self, job_id: str) -> Path | None:
        """The latest preview grid: in the run folder while training, in the model folder once published."""
        record = self.record(job_id)
        if record is None:
            return None
        path = self.store.run_dir(job_id) / PREVIEW_FILE
        if not path.is_file() and record.model_id and not record.status.is_active:
            path = storage.models_root(self.settings.data_dir) / record.model_id / PREVIEW_FILE
        return path if path.is_file() else None

    def cancel(self, job_id: str) -> JobView | None:
        """Waiting (queued, or lost and waiting to resume): canceled now. Running: the training loop stops
        at its next step and keeps its checkpoint. Idempotent; a finished job is returned unchanged."""
        if self.record(job_id) is None:
            return None
        with self.store.transaction(job_id) as txn:
            if txn is None:
                return None  # forgotten meanwhile
            record = txn.record
            if record.status.is_terminal:
                return self._view(record)
            canceled_now = record.is_waiting
            if canceled_now:
                resuming = record.status == JobStatus.RUNNING
                record.move_to(JobStatus.CANCELED)
                step = record.progress.checkpoint_step if record.progress else None
                txn.event(EventType.CANCELED, f"canceled while waiting to resume; its checkpoint (step {step}) is kept"
                          if resuming else "canceled before it started", status=JobStatus.CANCELED)
            else:
                if not record.cancel_requested:
                    txn.event(EventType.CANCEL_REQUESTED, "cancel requested; training stops at the next step")
                record.cancel_requested = True
        try:  # the horse polls this flag (cheap); it also rereads the record now and then
            self.conn.set(cancel_key(job_id), 1, ex=self.settings.job_timeout + CANCEL_FLAG_GRACE_S)
        except redis.RedisError:
            log.warning("job %s: could not set the cancel flag; the record says it", job_id, exc_info=True)
        if canceled_now:
            try:
                self._drop_from_queue(job_id)
            except redis.RedisError:  # a worker that dequeues it finds the record canceled and skips it
                log.warning("job %s: could not remove it from the queue", job_id, exc_info=True)
            webhooks.notify(self.conn, self.settings.queue_name, record, JobStatus.CANCELED)
        return self.get(job_id)

    def rq_status(self, job_id: str) -> str | None:
        """RQ's status of the job's current RQ job (None: Redis does not know it)."""
        job = self._fetch(job_id)
        return None if job is None else job.get_status(refresh=False)

    def rq_started_at(self, job_id: str) -> datetime | None:
        job = self._fetch(job_id)
        return None if job is None else job.started_at

    def delete_rq_job(self, job_id: str) -> None:
        job = self._fetch(job_id)
        if job is not None:
            job.delete()

    def active_jobs_for_dataset(self, dataset_id: str) -> list[str]:
        """Ids of queued or running jobs that train on this dataset (it must not be deleted)."""
        return self._active_with("dataset_id", dataset_id)

    def active_jobs_for_model(self, model_id: str) -> list[str]:
        """Ids of queued or running jobs that fine-tune this model (it must not be deleted)."""
        return self._active_with("base_model_id", model_id)

    def ping(self) -> bool:
        try:
            return bool(self.conn.ping())
        except (redis.RedisError, OSError):
            return False

    def _active_with(self, field: str, value: str) -> list[str]:
        return [r.id for r in self.store.list(self.settings.queue_name)
                if r.status.is_active and r.config.get(field) == value]

    def _view(self, record: JobRecord) -> JobView:
        position = None
        if record.is_waiting:
            try:
                index = self.queue.get_job_position(record.id)
            except redis.RedisError:
                index = None  # the view still answers from disk
            position = None if index is None else index + 1
        return job_view(record, queue_position=position)

    def _drop_from_queue(self, job_id: str) -> None:
        job = self._fetch(job_id)
        if job is None:
            return
        try:
            job.cancel()  # off the queue, into RQ's canceled registry
        except InvalidJobOperation:
            pass  # RQ already finished with it
        self.conn.expire(job.key, self.settings.result_ttl)  # RQ keeps canceled jobs forever

    def _fetch(self, job_id: str) -> Job | None:
        try:
            job = Job.fetch(job_id, connection=self.conn, serializer=SERIALIZER)
        except NoSuchJobError:
            return None
        return job if job.origin == self.settings.queue_name else None


def describe(config: TrainConfig) -> str:
    start = f"from '{config.base_model_id}'" if config.base_model_id else "from scratch"
    return f"train on dataset '{config.dataset_id}' {start}, {config.steps} steps"
