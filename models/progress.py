"""What a training run reports to its caller's progress_fn: one typed model, read by the job code and the API."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Losses(BaseModel):
    g: float | None = None
    d: float | None = None  # a VAE reports its KL term here


class TrainingProgress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int
    total_steps: int
    fraction: float
    images_per_second: float | None = None  # since this attempt started
    eta_seconds: float | None = None
    losses: Losses | None = None
    augment_p: float | None = None  # ADA's current augmentation probability
    latest_metrics: dict[str, Any] | None = None  # the last evaluation (KID ...), with its step
    checkpoint_step: int | None = None  # step of the last checkpoint: a lost job resumes from here
    preview_step: int | None = None  # step of the latest preview grid

    @property
    def finished(self) -> bool:
        return self.step == self.total_steps

    @property
    def evaluated_step(self) -> int | None:
        return (self.latest_metrics or {}).get("step")
