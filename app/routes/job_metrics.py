"""A job's training log for charts: the loss rows (every 10 steps) and evaluations of its run's metrics.jsonl."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.deps import DataDirDep, QueueDep
from app.errors import not_found
from app.security.access import PrincipalDep
from jobs.record import JobRecord
from models import storage

router = APIRouter(prefix="/jobs", tags=["jobs"])


class TrainingLogRow(BaseModel):
    """One line of metrics.jsonl: losses at `step`, or (`event: "evaluation"`) the KID measured there."""

    step: int
    event: str | None = None  # "evaluation"; absent on loss rows
    g_loss: float | None = None
    d_loss: float | None = None
    d_real: float | None = None  # D's mean output on reals / fakes
    d_fake: float | None = None
    augment_p: float | None = None  # ADA's augmentation probability
    kid_mean: float | None = None  # on evaluations, with kid_std and what it was measured against
    kid_std: float | None = None

    model_config = {"extra": "allow"}


@router.get("/{job_id}/metrics", response_model=list[TrainingLogRow], response_model_exclude_unset=True)
def get_job_metrics(
    job_id: str, queue: QueueDep, data_dir: DataDirDep, principal: PrincipalDep,
    after_step: Annotated[int, Query(ge=0, description="Only rows with a step above this one.")] = 0,
) -> list[dict]:
    """The run's training log, oldest first: G/D losses every 10 steps (VAE: its own losses) and each
    KID evaluation (`eval_every`). Empty until the first rows are written; a finished job's log is
    read from its model."""
    record = queue.record(job_id)
    if record is None or not principal.owns(record.owner):
        raise not_found("job", job_id)
    rows = []
    for folder in _run_folders(queue, record, Path(data_dir)):
        rows = storage.read_jsonl(folder / storage.METRICS_FILE)
        if rows:
            break
    return [_finite(row) for row in rows if isinstance(row.get("step"), int) and row["step"] > after_step]


def _run_folders(queue, record: JobRecord, data_dir: Path) -> list[Path]:
    """Where the log may be: the job's run folder while it trains (and after a cancel or failure);
    the model's folder once it succeeded (the run folder is moved there). Both are tried, in that
    order, so a run published between the two reads is still found."""
    folders = [queue.store.run_dir(record.id)]
    if record.model_id:
        folders.append(storage.models_root(data_dir) / record.model_id)
    return folders


def _finite(row: dict) -> dict:
    """NaN and infinity are not JSON (a VAE logs no D outputs, as NaN): shown as missing."""
    return {key: (None if isinstance(value, float) and not math.isfinite(value) else value)
            for key, value in row.items()}
