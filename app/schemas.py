"""Response bodies, declared for /docs and to keep the HTTP shapes stable."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Seed = Annotated[int, Field(ge=0, lt=2**32)]


class Rejection(BaseModel):
    file: str
    reason: str  # "duplicate", "not_an_image", "corrupt_image", "unsupported_format: TIFF", ...


class DatasetView(BaseModel):
    id: str
    name: str
    resolution: int
    num_images: int
    num_train: int
    num_val: int
    rejected: list[Rejection]
    created_at: str


class ModelView(BaseModel):
    id: str
    family: str | None
    architecture: str | None
    resolution: int | None
    latent_dim: int | None
    parent_id: str | None  # the base model it was fine-tuned from
    dataset_id: str | None
    job_id: str | None
    created_at: str | None
    metrics: dict[str, Any]
    card: dict[str, Any]
    deletable: bool  # False for the shipped base models


class Losses(BaseModel):
    g: float | None = None
    d: float | None = None


class JobProgress(BaseModel):
    step: int
    total_steps: int
    fraction: float
    images_per_second: float | None = None  # since this attempt started
    eta_seconds: float | None = None
    losses: Losses | None = None
    augment_p: float | None = None  # ADA's current augmentation probability
    latest_metrics: dict[str, Any] | None = None  # the last evaluation (KID ...), with its step
    checkpoint_step: int | None = None  # step of the last checkpoint: a lost job resumes from here
    preview_step: int | None = None  # step of GET /v1/jobs/{id}/preview.png
    updated_at: str | None = None  # when the worker last reported


class JobView(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed", "canceled"]
    config: dict[str, Any] | None  # the TrainConfig as queued
    progress: JobProgress | None = None
    queue_position: int | None = None  # 1 = next to start; only while waiting on the queue
    model_id: str | None = None  # set once the job succeeded
    error: str | None = None  # why it failed, in words a user can act on
    cancel_requested: bool = False  # a running job is stopping after a cancel
    resuming: bool = False  # running, but its worker was lost: waiting on the queue to resume
    attempts: int = 0  # times a worker started or resumed it
    webhook_url: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None


class JobEvent(BaseModel):
    seq: int  # 1, 2, ... in order; the SSE event id
    time: str
    type: str  # queued, started, checkpoint, evaluated, cancel_requested, paused, lost, requeued, resumed, canceled, finished
    message: str
    status: str | None = None  # on canceled and finished: the final status
    step: int | None = None

    model_config = {"extra": "allow"}  # e.g. metrics on "evaluated"


class Health(BaseModel):
    status: Literal["ok"]


class ImageBatchRequest(BaseModel):
    seeds: list[Seed] = Field(min_length=1, max_length=100_000)  # the setting MAX_ZIP_IMAGES bounds it further
    truncation: float = Field(1.0, ge=0.0, le=1.0)  # psi, as the image endpoints' query parameter
