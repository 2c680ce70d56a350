"""On-disk layout of datasets and model run folders (no TensorFlow).

DATA_DIR/
  datasets/<id>/dataset.json, train/00000.png ..., val/00000.png ...
  models/<id>/  config.json, model.json, generator.keras, generator_ema.keras,
                discriminator.keras (GAN) or encoder.keras (VAE), samples.png, metrics.jsonl, checkpoints/
  tmp/          staging area: things are built here and renamed into place
Base models that ship with the project live in models/pretrained/<id>/ with the same layout.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from models import atomic
from models.ids import is_valid_id, new_id  # noqa: F401  (re-exported: storage is where callers look)

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"

DATASET_META = "dataset.json"
MODEL_CARD = "model.json"
CONFIG_FILE = "config.json"
GENERATOR_FILE = "generator.keras"
GENERATOR_EMA_FILE = "generator_ema.keras"
DISCRIMINATOR_FILE = "discriminator.keras"
ENCODER_FILE = "encoder.keras"  # VAE models
SAMPLES_FILE = "samples.png"
METRICS_FILE = "metrics.jsonl"
FAMILY_FILES = {"gan": DISCRIMINATOR_FILE, "vae": ENCODER_FILE}  # the network a fine-tune needs besides G


def datasets_root(data_dir: Path) -> Path:
    return Path(data_dir) / "datasets"


def models_root(data_dir: Path) -> Path:
    return Path(data_dir) / "models"


def staging_dir(data_dir: Path) -> Path:
    """A fresh folder on the same filesystem as the data, for build-then-rename."""
    root = Path(data_dir) / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root))


def remove_stale_staging(data_dir: Path, older_than_s: float) -> list[Path]:
    """Remove staging folders in which nothing changed for `older_than_s` seconds; returns them.

    Only a process killed mid-build leaves one behind (every builder removes its own on failure).
    """
    root = Path(data_dir) / "tmp"
    removed = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if time.time() - _newest_mtime(path) >= older_than_s:
            remove_dir(path) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _newest_mtime(path: Path) -> float:
    newest = 0.0
    for folder, _, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, f) for f in files)]:
            try:
                newest = max(newest, os.lstat(name).st_mtime)
            except OSError:  # removed meanwhile
                continue
    return newest or path.lstat().st_mtime


def dataset_dir(data_dir: Path, dataset_id: str) -> Path | None:
    """The dataset's folder, or None when the id is malformed or unknown."""
    if not is_valid_id(dataset_id):
        return None
    path = datasets_root(data_dir) / dataset_id
    return path if (path / DATASET_META).is_file() else None


def is_pretrained(model_id: str) -> bool:
    return is_valid_id(model_id) and (PRETRAINED_DIR / model_id / MODEL_CARD).is_file()


def model_dir(data_dir: Path, model_id: str) -> Path | None:
    """The model's run folder (user models first, then shipped bases), or None."""
    if not is_valid_id(model_id):
        return None
    for root in (models_root(data_dir), PRETRAINED_DIR):
        path = root / model_id
        if (path / MODEL_CARD).is_file():
            return path
    return None


def list_model_dirs(data_dir: Path) -> list[Path]:
    found = []
    for root in (PRETRAINED_DIR, models_root(data_dir)):
        if root.is_dir():
            found += [p for p in sorted(root.iterdir()) if (p / MODEL_CARD).is_file()]
    return found


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json_atomic(path: Path, value: Any, *, durable: bool = True) -> None:
    """Readers never see half a file (models.atomic)."""
    atomic.write_json(path, value, durable=durable)


def publish_dir(staged: Path, final: Path) -> None:
    """Move a fully built folder into place in one rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSON-lines file; a half-written last line (a writer was killed) is skipped."""
    rows = []
    if Path(path).is_file():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows
