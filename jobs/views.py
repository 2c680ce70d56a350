"""The job as users see it: the API's job JSON and the body of every webhook, made from a job record."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from jobs.record import JobProgress, JobRecord
from jobs.redaction import redact_url
from jobs.status import JobStatus


class JobView(BaseModel):
    id: str
    status: JobStatus
    config: dict[str, Any] | None  # the TrainConfig as queued
    progress: JobProgress | None = None
    queue_position: int | None = None  # 1 = next to start; only while waiting on the queue
    model_id: str | None = None  # set once the job succeeded
    error: str | None = None  # why it failed, in words a user can act on
    cancel_requested: bool = False  # a running job is stopping after a cancel
    resuming: bool = False  # running, but its worker was lost: waiting on the queue to resume
    attempts: int = 0  # times a worker started or resumed it
    webhook_url: str | None = None  # without credentials (jobs.redaction)
    owner: str | None = None  # id of the API key that queued it
    created_at: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None


def job_view(record: JobRecord, *, queue_position: int | None = None) -> JobView:
    """queue_position: 1 = next to start; shown only while the job waits on the queue."""
    status = record.status
    return JobView(
        id=record.id,
        status=status,
        config=record.config,
        progress=record.progress,
        queue_position=queue_position if status.is_active else None,
        model_id=record.model_id if status == JobStatus.SUCCEEDED else None,
        error=record.error if status == JobStatus.FAILED else None,
        cancel_requested=record.cancel_requested and status.is_active,  # "canceling…"
        resuming=record.pending_resume and status == JobStatus.RUNNING,  # lost, waiting for a worker
        attempts=record.attempt,
        webhook_url=redact_url(record.webhook.url) if record.webhook else None,
        owner=record.owner,
        created_at=record.created_at,
        started_at=record.started_at,
        updated_at=record.updated_at,
        finished_at=record.finished_at,
    )
