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
    images_per_second: float | None = None
    eta_seconds: float | None = None
    losses: Losses | None = None


class JobView(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed", "canceled"]
    config: dict[str, Any] | None  # the TrainConfig as queued
    progress: JobProgress | None = None
    model_id: str | None = None  # set once the job succeeded
    error: str | None = None  # why it failed, in words a user can act on
    cancel_requested: bool = False  # a running job is stopping after a cancel
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class Health(BaseModel):
    status: Literal["ok"]


class ImageBatchRequest(BaseModel):
    seeds: list[Seed] = Field(min_length=1, max_length=100_000)  # the setting MAX_ZIP_IMAGES bounds it further
    truncation: float = Field(1.0, ge=0.0, le=1.0)  # psi, as the image endpoints' query parameter
