"""Does a generator fade to empty tiles? The share of samples flatter than almost every real image.

A fine-tune can drift towards near-blank images (a white tile with a few marks) that KID on ImageNet
features forgives, because the real set has much white background too. The check needs no network:
an image's contrast is the standard deviation of its pixels (all channels, 0-255), and a sample counts
as blank when its contrast is below the `percentile`-th percentile of the real images' contrasts. On
the real set itself the share is about `percentile` / 100 by construction, whatever the domain's
background colour; a share well above that means the generator makes flat tiles.
"""
from __future__ import annotations

import numpy as np

DEFAULT_PERCENTILE = 2.0


def contrast(images_uint8: np.ndarray) -> np.ndarray:
    """Per image: the standard deviation of all its pixel values."""
    flat = np.asarray(images_uint8, dtype=np.float32).reshape(len(images_uint8), -1)
    return flat.std(axis=1)


def blank_share(real_uint8: np.ndarray, fake_uint8: np.ndarray, percentile: float = DEFAULT_PERCENTILE) -> float:
    """Share of `fake_uint8` flatter than all but `percentile` percent of `real_uint8`."""
    threshold = np.percentile(contrast(real_uint8), percentile)
    return float(np.mean(contrast(fake_uint8) < threshold))
