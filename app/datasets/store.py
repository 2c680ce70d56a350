"""Datasets on disk: build in DATA_DIR/tmp, publish with one rename, list, read, delete."""
from __future__ import annotations

import os
from pathlib import Path, PurePath

import numpy as np
from PIL import Image

from app.datasets.ingest import Limits, Upload, ingest
from app.datasets.options import DatasetOptions
from app.datasets.split import effective_fraction, split_indices
from jobs.ownership import write_owner
from models import datasets, storage
from models.datasets import DatasetMeta, DatasetSummary, SplitOptions


def public_view(meta: DatasetMeta, owner: str | None = None) -> dict:
    """dataset.json without the file lists, and its owner."""
    return {**meta.model_dump(include=set(DatasetSummary.model_fields)), "owner": owner}


def create_dataset(data_dir: Path, uploads: list[Upload], options: DatasetOptions, limits: Limits,
                   owner: str | None = None) -> DatasetMeta:
    """Process the uploads into a new dataset owned by `owner` (jobs.ownership); on any failure nothing is
    left in DATA_DIR."""
    staged = storage.staging_dir(data_dir)
    try:
        pending = staged / "pending"
        pending.mkdir()
        images: list[Path] = []

        def save(image: Image.Image) -> None:  # as they come: an upload never sits in memory whole
            path = pending / datasets.image_name(len(images))
            image.save(path, format="PNG")
            images.append(path)

        report = ingest(uploads, resolution=options.resolution, limits=limits, save=save)
        val_fraction = effective_fraction(len(images), options.val_fraction)
        train, val = split_indices(len(images), val_fraction, options.seed)
        meta = DatasetMeta.create(
            storage.new_id(), options.name or _default_name(uploads), options.resolution,
            train=_move([images[i] for i in train], staged / "train"),
            val=_move([images[i] for i in val], staged / "val"),
            rejected=report.rejected, split=SplitOptions(val_fraction=val_fraction, seed=options.seed),
        ).model_copy(update={"rejected_omitted": report.rejected_omitted})
        pending.rmdir()
        datasets.write_meta(staged, meta)
        if owner is not None:
            write_owner(staged, owner)
        storage.publish_dir(staged, storage.datasets_root(data_dir) / meta.id)
        return meta
    except BaseException:
        storage.remove_dir(staged)
        raise


def _move(paths: list[Path], folder: Path) -> list[str]:
    """Renumber the images 00000.png... in `folder`; return their names."""
    folder.mkdir()
    names = []
    for index, path in enumerate(paths):
        names.append(datasets.image_name(index))
        os.replace(path, folder / names[-1])
    return names


def _default_name(uploads: list[Upload]) -> str:
    stem = PurePath(uploads[0].filename or "").stem if len(uploads) == 1 else ""
    return stem[:200] or "dataset"


def read_dataset(data_dir: Path, dataset_id: str) -> DatasetMeta | None:
    found = datasets.find(data_dir, dataset_id)
    return None if found is None else found[1]


def list_datasets(data_dir: Path) -> list[DatasetMeta]:
    """Newest first."""
    root = storage.datasets_root(data_dir)
    found = []
    for path in root.iterdir() if root.is_dir() else []:
        if (path / storage.DATASET_META).is_file():
            found.append(datasets.read_meta(path))
    return sorted(found, key=lambda meta: meta.created_at or "", reverse=True)


def delete_dataset(data_dir: Path, dataset_id: str) -> bool:
    """Remove the dataset; it vanishes in one rename, then its files are deleted."""
    path = storage.dataset_dir(data_dir, dataset_id)
    if path is None:
        return False
    trash = storage.staging_dir(data_dir)
    os.replace(path, trash / dataset_id)
    storage.remove_dir(trash)
    return True


def load_images(data_dir: Path, dataset_id: str, limit: int) -> np.ndarray | None:
    """Up to `limit` images (training first) as uint8 (n, H, W, 3); None when the dataset is unknown."""
    found = datasets.find(data_dir, dataset_id)
    if found is None:
        return None
    path, meta = found
    files = [path / "train" / n for n in meta.train] + [path / "val" / n for n in meta.val]
    arrays = []
    for file in files[:limit]:
        with Image.open(file) as image:
            arrays.append(np.asarray(image.convert("RGB")))
    return np.stack(arrays)
