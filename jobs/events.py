"""A job's event log entries (DATA_DIR/jobs/<id>/events.jsonl), as written and as the API returns them."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from jobs.status import JobStatus


class EventType(StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    CHECKPOINT = "checkpoint"
    EVALUATED = "evaluated"
    CANCEL_REQUESTED = "cancel_requested"
    PAUSED = "paused"
    LOST = "lost"
    REQUEUED = "requeued"
    RESUMED = "resumed"
    CANCELED = "canceled"
    FINISHED = "finished"
    WEBHOOK_FAILED = "webhook_failed"


class JobEvent(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. metrics on "evaluated", checkpoint_step on "lost"

    seq: int  # 1, 2, ... in order; the SSE event id
    time: str
    type: EventType
    message: str
    status: JobStatus | None = None  # on canceled and finished: the final status
    step: int | None = None
