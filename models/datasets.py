"""A dataset folder's images and its dataset.json: the one place that writes and reads them (no TensorFlow).

DATA_DIR/datasets/<id>/dataset.json, train/00000.png ..., val/00000.png ...

Uploads (app.datasets.store), base-model pretraining (models.pretrain), benchmarks and tests all
build datasets through these functions, so every dataset has the same metadata and every image the
same preparation: centre-cropped to a square, then resized with LANCZOS.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image
from pydantic import BaseModel, Field

from models import storage

class Rejection(BaseModel):
    file: str
    reason: str  # "duplicate", "not_an_image", "corrupt_image", "unsupported_format: TIFF", ...


class SplitOptions(BaseModel):
    val_fraction: float
    seed: int


class DatasetSummary(BaseModel):
    """What a dataset is, without its file lists (the API's dataset JSON)."""

    id: str
    name: str
    resolution: int
    num_images: int
    num_train: int
    num_val: int
    rejected: list[Rejection] = Field(default_factory=list)  # uploaded files that were not kept, and why
    rejected_omitted: int = 0  # rejected files beyond the first 100 (not listed, so the JSON stays small)
    created_at: str | None = None


class DatasetMeta(DatasetSummary):
    """dataset.json. Counts are derived from the file lists by `create`, never set by hand."""

    train: list[str]  # file names in train/, in upload order
    val: list[str] = Field(default_factory=list)
    split: SplitOptions | None = None  # how an upload was split; None: written whole as training images

    @classmethod
    def create(cls, dataset_id: str, name: str, resolution: int, train: list[str], val: list[str] = (), *,
               rejected: Iterable[Rejection | dict] = (), split: SplitOptions | None = None) -> "DatasetMeta":
        return cls(id=dataset_id, name=name, resolution=resolution, num_images=len(train) + len(val),
                   num_train=len(train), num_val=len(val), rejected=list(rejected),
                   created_at=datetime.now(timezone.utc).isoformat(), train=list(train), val=list(val), split=split)


def square_resize(image: Image.Image, resolution: int) -> Image.Image:
    """The centre square of `image`, resized to resolution x resolution with LANCZOS."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return square.resize((resolution, resolution), Image.Resampling.LANCZOS)


def image_name(index: int) -> str:
    return f"{index:05d}.png"


def write_images(folder: Path, images: Iterable[Image.Image]) -> list[str]:
    """Save images as folder/00000.png, 00001.png, ... (PNG, as they are); returns the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for image in images:
        names.append(image_name(len(names)))
        image.save(folder / names[-1], format="PNG")
    return names


def write_meta(folder: Path, meta: DatasetMeta) -> None:
    storage.write_json_atomic(folder / storage.DATASET_META, meta.model_dump(mode="json"))


def read_meta(folder: Path) -> DatasetMeta:
    return DatasetMeta.model_validate(storage.read_json(folder / storage.DATASET_META))


def find(data_dir: Path, dataset_id: str) -> tuple[Path, DatasetMeta] | None:
    """The dataset's folder and metadata; None when the id is malformed or unknown."""
    folder = storage.dataset_dir(data_dir, dataset_id)
    return None if folder is None else (folder, read_meta(folder))


def write_training_set(data_dir: Path, dataset_id: str, name: str, resolution: int,
                       images: Iterable[Image.Image]) -> DatasetMeta:
    """A dataset of only training images (no validation split), each square-resized to `resolution`."""
    folder = storage.datasets_root(data_dir) / dataset_id
    train = write_images(folder / "train", (square_resize(image.convert("RGB"), resolution) for image in images))
    meta = DatasetMeta.create(dataset_id, name, resolution, train)
    write_meta(folder, meta)
    return meta
