"""Sliced Wasserstein distance on Laplacian-pyramid patches (Karras et al. 2018, ProGAN's "SWD").

A check that needs no pretrained network: 7x7 patches from each Laplacian level, normalised per
channel, compared by the 1-D Wasserstein distance along random directions. Reported x1e3 averaged
over levels, as in the ProGAN code.
"""
from __future__ import annotations

import numpy as np

_BINOMIAL = np.array([1, 4, 6, 4, 1], dtype=np.float32) / 16.0


def _blur(images: np.ndarray) -> np.ndarray:
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    rows = sum(w * padded[:, i : i + images.shape[1], :, :] for i, w in enumerate(_BINOMIAL))
    return sum(w * rows[:, :, i : i + images.shape[2], :] for i, w in enumerate(_BINOMIAL))


def laplacian_pyramid(images: np.ndarray, min_resolution: int = 16) -> list[np.ndarray]:
    levels, current = [], np.asarray(images, dtype=np.float32)
    while current.shape[1] > min_resolution:
        smaller = _blur(current)[:, ::2, ::2, :]
        upsampled = _blur(np.repeat(np.repeat(smaller, 2, axis=1), 2, axis=2))
        levels.append(current - upsampled)
        current = smaller
    levels.append(current)
    return levels


def _patches(level: np.ndarray, per_image: int, rng: np.random.Generator, size: int = 7) -> np.ndarray:
    count, height, width, channels = level.shape
    ys = rng.integers(0, height - size + 1, (count, per_image))
    xs = rng.integers(0, width - size + 1, (count, per_image))
    offsets = np.arange(size)
    rows = (ys[..., None] + offsets)[..., :, None]
    cols = (xs[..., None] + offsets)[..., None, :]
    patches = level[np.arange(count)[:, None, None, None], rows, cols]  # (n, per_image, 7, 7, c)
    return patches.reshape(count * per_image, size * size * channels)


def _normalise(descriptors: np.ndarray, channels: int = 3) -> np.ndarray:
    grouped = descriptors.reshape(len(descriptors), -1, channels)
    mean, std = grouped.mean(axis=(0, 1)), grouped.std(axis=(0, 1)) + 1e-8
    return ((grouped - mean) / std).reshape(len(descriptors), -1)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, directions: int = 512, repeats: int = 4,
                       rng: np.random.Generator | None = None) -> float:
    rng = rng or np.random.default_rng(0)
    results = []
    for _ in range(repeats):
        projections = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
        projections /= np.linalg.norm(projections, axis=0, keepdims=True)
        pa, pb = np.sort(a @ projections, axis=0), np.sort(b @ projections, axis=0)
        results.append(np.abs(pa - pb).mean())
    return float(np.mean(results))


def swd(real_uint8: np.ndarray, fake_uint8: np.ndarray, patches_per_image: int = 64, seed: int = 0) -> float:
    """SWD x1e3 averaged over pyramid levels; equal-size sets (the smaller count is used)."""
    count = min(len(real_uint8), len(fake_uint8))
    rng = np.random.default_rng(seed)
    to_unit = lambda x: np.asarray(x[:count], dtype=np.float32) / 127.5 - 1.0  # noqa: E731
    distances = []
    for real_level, fake_level in zip(laplacian_pyramid(to_unit(real_uint8)), laplacian_pyramid(to_unit(fake_uint8))):
        real_desc = _normalise(_patches(real_level, patches_per_image, rng))
        fake_desc = _normalise(_patches(fake_level, patches_per_image, rng))
        distances.append(sliced_wasserstein(real_desc, fake_desc, rng=rng) * 1e3)
    return float(np.mean(distances))
