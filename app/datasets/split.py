"""The seeded train/validation split.

By default (`val_fraction` None) a dataset holds out DEFAULT_VAL_FRACTION of its images only from
MIN_IMAGES_FOR_DEFAULT_VALIDATION up: a smaller held-out set scores nothing useful (KID evaluation adds the
training split below 50 validation images, models/training.py) and every image is worth more to a few-shot
fine-tune (bench/default_job.py: a 10-image upload used to train on 9). A fraction the user sets is honoured
from MIN_IMAGES_FOR_VALIDATION up.
"""
from __future__ import annotations

import random

MIN_IMAGES_FOR_VALIDATION = 10  # below this every image is needed for training
MIN_IMAGES_FOR_DEFAULT_VALIDATION = 50
DEFAULT_VAL_FRACTION = 0.1


def effective_fraction(num_images: int, val_fraction: float | None) -> float:
    """The share held out: the user's `val_fraction`, or (None) the default for a dataset of this size."""
    if val_fraction is not None:
        return val_fraction
    return DEFAULT_VAL_FRACTION if num_images >= MIN_IMAGES_FOR_DEFAULT_VALIDATION else 0.0


def validation_count(num_images: int, val_fraction: float | None) -> int:
    fraction = effective_fraction(num_images, val_fraction)
    if num_images < MIN_IMAGES_FOR_VALIDATION or fraction <= 0:
        return 0
    return max(1, round(num_images * fraction))


def split_indices(num_images: int, val_fraction: float | None, seed: int) -> tuple[list[int], list[int]]:
    """(train, val) indices, each in upload order; the same inputs always give the same split."""
    order = list(range(num_images))
    random.Random(seed).shuffle(order)
    held_out = set(order[: validation_count(num_images, val_fraction)])
    train = [i for i in range(num_images) if i not in held_out]
    return train, sorted(held_out)
