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

    owner: str | None = None  # id of the API key that uploaded it (jobs.ownership)


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
    owner: str | None = None  # id of the API key whose job made it; None for shipped bases


class Health(BaseModel):
    status: Literal["ok"]


class ImageBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # like the job body: a misspelt field is an error, not ignored

    seeds: list[Seed] = Field(min_length=1, max_length=4096)  # the setting MAX_ZIP_IMAGES bounds it further
    truncation: float = Field(1.0, ge=0.0, le=1.0)  # psi, as the image endpoints' query parameter


class ErrorDetail(BaseModel):
    code: str  # stable, for programs: "validation_error", "dataset_not_found", "too_large", ...
    message: str  # for people
    details: Any = None  # structured context: pydantic's error list for a 422, limits for a 413, ...


class ErrorBody(BaseModel):
    """Every error response (app.errors)."""

    error: ErrorDetail


_ERROR_DESCRIPTIONS = {
    400: "The body cannot be parsed",
    401: "No valid API key (when the server has keys)",
    403: "The key may not do this (an admin key is needed)",
    404: "Not found (an unknown id or route)",
    409: "Conflicts with the current state (in use, protected)",
    413: "The body, upload or request is larger than a limit",
    415: "Unsupported media type",
    422: "Not valid (the details say which field and why)",
    429: "Over a rate limit or quota of this key (see Retry-After)",
    503: "Redis is not reachable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all in the error shape."""
    return {code: {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[code]} for code in codes}


COMMON_ERRORS = error_responses(400, 401, 404, 413, 422, 503)  # possible on every route of the API
