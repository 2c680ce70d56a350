"""The form fields of a dataset upload, validated like any request body."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.latents import Seed

RESOLUTIONS = (16, 32, 64, 128, 256)  # the generators' supported side lengths


def _check_resolution(value: int) -> int:
    if value not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(map(str, RESOLUTIONS))}")
    return value


# The enum is for the schema only (/docs, the frontend's choices); the validator gives the error message.
Resolution = Annotated[int, AfterValidator(_check_resolution), Field(json_schema_extra={"enum": list(RESOLUTIONS)})]


class DatasetOptions(BaseModel):
    """Everything but the files; equal options and files give an equal dataset."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)  # None: taken from the upload
    resolution: Resolution = 64
    # share of images held out for validation; None: 10% from 50 images up, none below (app/datasets/split.py)
    val_fraction: float | None = Field(None, ge=0.0, le=0.5)
    seed: Seed = 0  # seeds the train/validation split
