"""Tiny datasets written in the contract's layout (DATA_DIR/datasets/<id>/...), for any test."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from models import datasets, storage
from models.datasets import DatasetMeta


def write_dataset(
    data_dir: Path,
    dataset_id: str | None = None,
    *,
    num_train: int = 8,
    num_val: int = 2,
    resolution: int = 16,
    seed: int = 0,
    name: str = "tiny test set",
) -> str:
    """Random-blob RGB PNGs plus dataset.json (models.datasets, no upload code); returns the id."""
    dataset_id = dataset_id or storage.new_id()
    folder = storage.datasets_root(data_dir) / dataset_id
    rng = np.random.default_rng(seed)
    files = {split: datasets.write_images(folder / split, (Image.fromarray(_blob_image(rng, resolution))
                                                           for _ in range(count)))
             for split, count in (("train", num_train), ("val", num_val))}
    datasets.write_meta(folder, DatasetMeta.create(dataset_id, name, resolution, files["train"], files["val"]))
    return dataset_id


def _blob_image(rng: np.random.Generator, resolution: int) -> np.ndarray:
    """A coloured disc on a plain background: some structure, so losses behave like real data."""
    yy, xx = np.mgrid[:resolution, :resolution]
    cy, cx = rng.uniform(0.3, 0.7, size=2) * resolution
    radius = rng.uniform(0.15, 0.35) * resolution
    inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
    image = np.empty((resolution, resolution, 3), np.uint8)
    image[:] = rng.integers(0, 256, size=3, dtype=np.uint8)
    image[inside] = rng.integers(0, 256, size=3, dtype=np.uint8)
    return image
