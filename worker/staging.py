"""Staging folders for training runs that a killed work horse cannot leak.

A run is built in DATA_DIR/tmp/<random>/ (models.storage.staging_dir) and renamed into
DATA_DIR/models/<id> when complete. train_job removes the folder on every error, but a horse
killed with SIGKILL (cold worker shutdown, OOM killer, `docker stop` timeout) cannot. So the horse
holds an flock on a marker file inside its folder while it trains; a worker starting up removes
marked folders whose lock nobody holds. Unmarked folders (the API's uploads) are never touched.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Iterator

from models import storage

log = logging.getLogger(__name__)

MARKER = ".training-job.lock"


@contextlib.contextmanager
def training_staging_dir(data_dir: Path) -> Iterator[Path]:
    """A fresh, marked staging folder, locked while the block runs, removed unless published.

    Publish inside the block with storage.publish_dir; the marker is dropped just before.
    """
    folder = storage.staging_dir(data_dir)
    fd = os.open(folder / MARKER, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        os.close(fd)  # releases the lock
        storage.remove_dir(folder)  # no-op once published (the folder has moved)


def unmark(folder: Path) -> None:
    """Drop the marker before publishing, so the published run folder holds only the run."""
    (folder / MARKER).unlink(missing_ok=True)


def remove_abandoned(data_dir: Path) -> list[Path]:
    """Remove marked staging folders whose horse is gone (its lock is free); returns them."""
    root = Path(data_dir) / "tmp"
    removed = []
    for marker in root.glob(f"*/{MARKER}") if root.is_dir() else []:
        try:
            fd = os.open(marker, os.O_RDWR)
        except FileNotFoundError:
            continue  # published or removed meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live horse (of any worker on this host) is still training there
        finally:
            os.close(fd)
        storage.remove_dir(marker.parent)
        removed.append(marker.parent)
        log.info("removed staging folder %s left by a killed training job", marker.parent)
    return removed
