"""KID of a generator against a fixed real set: the validation metric used during training."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.images import to_uint8
from models.latents import latents_for_seeds
from models.metrics.features import FeatureExtractor
from models.metrics.kid import kid

EVAL_SEED_OFFSET = 1_000_000  # evaluation latents never overlap the seeds users look at first
MIN_VALIDATION_IMAGES = 50  # below this, validation alone is too noisy: add the training split


def sample_images(generator, count: int, batch_size: int = 64, seed_offset: int = EVAL_SEED_OFFSET) -> np.ndarray:
    """uint8 samples of a Keras generator network from fixed seeds."""
    latent_dim = generator.input_shape[-1]
    batches = []
    for start in range(0, count, batch_size):
        seeds = range(seed_offset + start, seed_offset + min(start + batch_size, count))
        batches.append(to_uint8(np.asarray(generator(latents_for_seeds(seeds, latent_dim), training=False))))
    return np.concatenate(batches)


def reference_images(train_uint8: np.ndarray, val_uint8: np.ndarray) -> tuple[np.ndarray, str]:
    if len(val_uint8) >= MIN_VALIDATION_IMAGES:
        return val_uint8, "validation"
    return np.concatenate([val_uint8, train_uint8]), "validation+train"


class KIDEvaluator:
    """Callable: generator network -> {"kid_mean", "kid_std", "feature_network", "reference"}."""

    def __init__(self, feature_network: str | Path, real_uint8: np.ndarray, reference: str,
                 num_samples: int = 256, cache_dir: Path | None = None):
        self.extractor = FeatureExtractor(feature_network, cache_dir=cache_dir)
        self.real_features = self.extractor.cached(real_uint8)
        self.reference = reference
        self.num_samples = num_samples

    def __call__(self, generator) -> dict:
        fake_features = self.extractor(sample_images(generator, self.num_samples))
        mean, std = kid(self.real_features, fake_features, num_subsets=50)
        return {"kid_mean": round(mean, 6), "kid_std": round(std, 6),
                "feature_network": self.extractor.label, "reference": self.reference}
