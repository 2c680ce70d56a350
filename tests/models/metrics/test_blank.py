"""The blank share on known images: flat tiles count, images with the real set's contrast do not."""
import numpy as np
import pytest

from models.metrics.blank import blank_share, contrast


def _tiles(rng, count, ink):
    """White tiles with a black square covering `ink` of each side's length (more ink: more contrast)."""
    images = np.full((count, 16, 16, 3), 255, np.uint8)
    side = max(1, int(16 * ink))
    images[:, :side, :side] = 0
    return images


def test_contrast_is_the_pixel_standard_deviation():
    assert contrast(np.full((2, 4, 4, 3), 200, np.uint8)).tolist() == [0.0, 0.0]
    half = np.zeros((1, 2, 1, 3), np.uint8)
    half[0, 0] = 255
    assert contrast(half)[0] == pytest.approx(127.5)


def test_blank_share_counts_samples_flatter_than_the_real_set():
    rng = np.random.default_rng(0)
    real = np.concatenate([_tiles(rng, 1, ink) for ink in np.linspace(0.3, 0.7, 50)])
    assert blank_share(real, real) == pytest.approx(0.02, abs=0.021)  # the percentile, by construction
    blank = np.full((10, 16, 16, 3), 255, np.uint8)
    assert blank_share(real, blank) == 1.0
    assert blank_share(real, np.concatenate([blank[:3], real[-7:]])) == pytest.approx(0.3)
    # the background's colour does not matter, only flatness
    assert blank_share(255 - real, 255 - real[-5:]) == 0.0
