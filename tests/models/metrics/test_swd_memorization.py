import numpy as np

from models.metrics.memorization import memorization_ratio, nearest_distances
from models.metrics.swd import laplacian_pyramid, swd


def _images(n, seed, brightness=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 200, (n, 32, 32, 3))
    return np.clip(base + brightness, 0, 255).astype(np.uint8)


def test_pyramid_levels_reconstruct_shapes():
    levels = laplacian_pyramid(np.zeros((2, 64, 64, 3), np.float32), min_resolution=16)
    assert [lvl.shape[1] for lvl in levels] == [64, 32, 16]


def test_swd_is_small_for_same_distribution_and_larger_for_different():
    same = swd(_images(64, 0), _images(64, 1))
    smooth = np.repeat(np.repeat(_images(64, 2)[:, ::4, ::4], 4, 1), 4, 2)  # blocky: other patch statistics
    assert swd(_images(64, 0), smooth) > 1.5 * same


def test_copies_give_a_low_memorization_ratio_and_new_samples_do_not():
    train, heldout = _images(20, 0), _images(20, 1)
    assert memorization_ratio(train[:10], train, heldout) < 0.01
    assert memorization_ratio(_images(20, 2), train, heldout) > 0.8
    assert np.allclose(nearest_distances(train[:3], train), 0.0, atol=1e-3)
