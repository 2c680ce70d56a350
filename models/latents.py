"""The latent vector of a seed: a function of the seed alone, identical on every machine."""
from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

MAX_SEED = 2**32  # seeds are 32-bit: 0 <= seed < MAX_SEED, everywhere a seed is accepted
Seed = Annotated[int, Field(ge=0, lt=MAX_SEED)]  # the validated type for configs and request bodies


def latent_for_seed(seed: int, latent_dim: int) -> np.ndarray:
    """Standard-normal latent from numpy's PCG64, which is bit-reproducible across platforms."""
    if not 0 <= int(seed) < MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    return np.random.default_rng(int(seed)).standard_normal(latent_dim, dtype=np.float32)


def latents_for_seeds(seeds, latent_dim: int) -> np.ndarray:
    return np.stack([latent_for_seed(seed, latent_dim) for seed in seeds]).astype(np.float32)
