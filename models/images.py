"""Image conversions and deterministic PNG encoding (numpy + Pillow, no TensorFlow)."""
from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 in [0, 255], rounded the same way everywhere."""
    scaled = (np.asarray(images, dtype=np.float32) + 1.0) * 127.5
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of one HxWx3 uint8 image; no timestamps or metadata, so equal pixels give equal bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8), mode="RGB").save(
        buffer, format="PNG", optimize=False, compress_level=6
    )
    return buffer.getvalue()


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile N HxWx3 uint8 images into one image on a white background."""
    images = np.asarray(images, dtype=np.uint8)
    count, height, width = images.shape[:3]
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, 3), 255, np.uint8
    )
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def encode_gif(frames: np.ndarray, duration_ms: int = 100) -> bytes:
    """An animated GIF of N HxWx3 uint8 frames, looping forever; equal frames give equal bytes."""
    images = [Image.fromarray(np.asarray(frame, dtype=np.uint8), mode="RGB") for frame in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0, optimize=False
    )
    return buffer.getvalue()
