"""Does a generator copy its training images? Nearest-neighbour distances in pixel space.

ratio = median over generated images of the distance to the nearest training image, divided by
the same median for held-out real images. Held-out images are what "new but in-distribution"
looks like: a ratio near or above 1 means no copying; well below 1 (say < 0.5) means the
generator reproduces training images.
"""
from __future__ import annotations

import numpy as np


def _flatten(images_uint8: np.ndarray) -> np.ndarray:
    return np.asarray(images_uint8, dtype=np.float32).reshape(len(images_uint8), -1) / 255.0


def nearest_distances(queries_uint8: np.ndarray, references_uint8: np.ndarray) -> np.ndarray:
    q, r = _flatten(queries_uint8), _flatten(references_uint8)
    squared = (q**2).sum(1)[:, None] + (r**2).sum(1)[None, :] - 2.0 * q @ r.T
    return np.sqrt(np.clip(squared.min(axis=1), 0, None) / q.shape[1])  # RMS pixel distance


def memorization_ratio(generated_uint8: np.ndarray, train_uint8: np.ndarray, heldout_uint8: np.ndarray) -> float:
    generated = np.median(nearest_distances(generated_uint8, train_uint8))
    heldout = np.median(nearest_distances(heldout_uint8, train_uint8))
    return float(generated / max(heldout, 1e-12))
