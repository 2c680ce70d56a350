"""Response bodies, declared for /docs and to keep the HTTP shapes stable.

The job's shapes (jobs.views.JobView, jobs.events.JobEvent) are defined once, in the jobs package;
a dataset's in models.datasets.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.datasets import DatasetSummary
from models.latents import Seed


class DatasetView(DatasetSummary):
    """The dataset JSON: dataset.json without its file lists (its fields are defined in models.datasets)."""


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


class Health(BaseModel):
    status: Literal["ok"]


class ImageBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # like the job body: a misspelt field is an error, not ignored

    seeds: list[Seed] = Field(min_length=1, max_length=4096)  # the setting MAX_ZIP_IMAGES bounds it further
    truncation: float = Field(1.0, ge=0.0, le=1.0)  # psi, as the image endpoints' query parameter
