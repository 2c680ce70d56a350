"""The seeded train/validation split."""
from __future__ import annotations

import random

MIN_IMAGES_FOR_VALIDATION = 10  # below this every image is needed for training


def validation_count(num_images: int, val_fraction: float) -> int:
    if num_images < MIN_IMAGES_FOR_VALIDATION or val_fraction <= 0:
        return 0
    return max(1, round(num_images * val_fraction))


def split_indices(num_images: int, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, val) indices, each in upload order; the same inputs always give the same split."""
    order = list(range(num_images))
    random.Random(seed).shuffle(order)
    held_out = set(order[: validation_count(num_images, val_fraction)])
    train = [i for i in range(num_images) if i not in held_out]
    return train, sorted(held_out)
