"""The job record: everything known about one job, typed; stored as DATA_DIR/jobs/<id>/job.json (jobs.store).

Every process that touches a job (API, worker parent, work horse) reads and writes this model, under
the record's lock (jobs.store.JobStore.transaction). A field added later gets a default, so records
written before it still load (issue 11 adds `owner` that way).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jobs.status import TERMINAL, JobStatus, check_transition
from jobs.timestamps import utc_now_iso
from models.ids import ID_PATTERN
from models.progress import TrainingProgress


class Webhook(BaseModel):
    url: str  # POSTed the job view when the job ends (and on progress, if `progress`)
    progress: bool = False


class JobProgress(TrainingProgress):
    """The training loop's last report, as the record keeps it."""

    updated_at: str | None = None  # when the worker last reported


class JobRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(pattern=ID_PATTERN)
    queue: str  # the RQ queue it belongs to; other queues' workers and APIs leave it alone
    status: JobStatus = JobStatus.QUEUED  # changed only through `move_to`
    config: dict[str, Any]  # the TrainConfig as queued (JSON); the worker that runs it validates it
    webhook: Webhook | None = None
    owner: str | None = None  # id of the API key that queued it (jobs.ownership); None: made before owners
    progress: JobProgress | None = None
    model_id: str | None = None  # chosen when it first starts, so a resumed run publishes to the same id
    error: str | None = None  # why it failed, in words a user can act on
    cancel_requested: bool = False  # a running job was asked to stop
    attempt: int = 0  # times a worker started (or resumed) it
    lease: str | None = None  # token of the work horse that holds it (worker.lease)
    pending_resume: bool = False  # its worker was lost or paused it: waiting on the queue to resume
    lost_count: int = 0  # losses in a row without a newer checkpoint (worker.recovery gives up after a few)
    lost_at_checkpoint: int | None = None
    created_at: str = Field(default_factory=utc_now_iso)
    updated_at: str = Field(default_factory=utc_now_iso)
    started_at: str | None = None
    finished_at: str | None = None
    event_count: int = 0  # events in events.jsonl that this record has counted

    @property
    def is_waiting(self) -> bool:
        """On the queue, waiting for a worker: queued, or lost (or paused) and waiting to resume."""
        return self.status == JobStatus.QUEUED or (self.status == JobStatus.RUNNING and self.pending_resume)

    def move_to(self, status: JobStatus) -> None:
        """Change the status if the machine allows it (InvalidTransition otherwise), stamping the times."""
        check_transition(self.id, self.status, status)
        self.status = status
        now = utc_now_iso()
        if status == JobStatus.RUNNING and not self.started_at:
            self.started_at = now
        if status in TERMINAL:
            self.finished_at = now
