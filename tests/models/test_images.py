import io

import numpy as np
from PIL import Image

from models.images import encode_png, make_grid, to_uint8


def test_png_encoding_is_deterministic_and_lossless():
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert encode_png(image) == encode_png(image.copy())
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_png(image)))), image)


def test_to_uint8_maps_generator_range():
    assert to_uint8(np.array([-1.0, 0.0, 1.0, 3.0])).tolist() == [0, 128, 255, 255]


def test_grid_has_expected_size():
    grid = make_grid(np.zeros((5, 8, 8, 3), np.uint8), columns=3, padding=2)
    assert grid.shape == (2 * 10 + 2, 3 * 10 + 2, 3)
