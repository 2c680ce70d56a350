"""Training checkpoints: every variable of the run in one .npz, written to a temp file then renamed.

A kill during a write leaves the previous checkpoint intact. Holds G, EMA G, D, both optimizers'
state, the step, images seen (EMA ramp-up), ADA's probability and the noise/augmentation RNG
states, so a resumed run continues where it stopped. Arrays are stored by group name, so a group
that a run does not have (no augmenter) is simply absent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models import atomic

CHECKPOINT_NAME = "latest.npz"


def _groups(model) -> dict[str, list]:
    return model.checkpoint_groups()  # each training model (GAN, VAE) names its own state


def save_checkpoint(gan, folder: Path, step: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {f"{group}/{i:05d}": np.asarray(v.numpy()) for group, vs in _groups(gan).items() for i, v in enumerate(vs)}
    with atomic.replacing(folder / CHECKPOINT_NAME) as tmp, open(tmp, "wb") as f:
        np.savez(f, step=np.int64(step), **arrays)
    return folder / CHECKPOINT_NAME


def restore_checkpoint(gan, folder: Path) -> int | None:
    """Load the latest checkpoint into gan; returns its step, or None when there is none."""
    atomic.remove_leftovers(folder)  # temp files of a writer killed mid-write
    path = folder / CHECKPOINT_NAME
    if not path.is_file():
        return None
    with np.load(path) as data:
        for group, variables in _groups(gan).items():
            keys = sorted(k for k in data.files if k.startswith(group + "/"))
            if len(keys) != len(variables):
                raise ValueError(f"checkpoint {path}: group {group} has {len(keys)} arrays, the model {len(variables)}")
            for key, variable in zip(keys, variables):
                variable.assign(data[key])
        return int(data["step"])


def checkpoint_step(folder: Path) -> int | None:
    """The step of the latest checkpoint in `folder` without loading it (numpy only, no TensorFlow)."""
    path = Path(folder) / CHECKPOINT_NAME
    try:
        with np.load(path) as data:
            return int(data["step"])
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return None
