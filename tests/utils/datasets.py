"""Tiny datasets written in the contract's layout (DATA_DIR/datasets/<id>/...), for any test."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from models import storage


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
    """Random-blob RGB PNGs plus dataset.json, written directly (no upload code); returns the id."""
    dataset_id = dataset_id or storage.new_id()
    folder = storage.datasets_root(data_dir) / dataset_id
    rng = np.random.default_rng(seed)
    splits = {"train": num_train, "val": num_val}
    files = {}
    for split, count in splits.items():
        (folder / split).mkdir(parents=True, exist_ok=True)
        files[split] = [f"{i:05d}.png" for i in range(count)]
        for filename in files[split]:
            Image.fromarray(_blob_image(rng, resolution)).save(folder / split / filename)
    storage.write_json_atomic(folder / storage.DATASET_META, {
        "id": dataset_id,
        "name": name,
        "resolution": resolution,
        "num_images": num_train + num_val,
        "num_train": num_train,
        "num_val": num_val,
        "rejected": [],
        "created_at": datetime.now(timezone.utc).isoformat(),
        "train": files["train"],
        "val": files["val"],
    })
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
