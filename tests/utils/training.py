"""Training configs small enough for a CPU test run in seconds."""
from __future__ import annotations

from models.config import TrainConfig

TINY = dict(  # preset "none": tests pick every option themselves (tests/models/test_presets.py tests "auto")
    preset="none", steps=5, batch_size=4, architecture="lite", latent_dim=8, base_channels=16,
    ema_half_life_images=100, preview_every=1000, checkpoint_every=1000,
)


def tiny_config(dataset_id: str, **overrides) -> TrainConfig:
    return TrainConfig(dataset_id=dataset_id, **{**TINY, **overrides})
