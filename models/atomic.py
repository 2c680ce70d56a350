"""The one way files are replaced: write a temp file beside the target, fsync it, rename, fsync the folder.

Readers see the old file or the new one, never half of one; with `durable` (the default) the new
file and its rename also survive a power cut. `durable=False` skips both fsyncs, for writes whose
loss in a crash costs nothing (a progress figure rewritten every second).

Temp files are named `.tmp-<random>-<name>`, so they keep the target's suffix (Keras insists on
`.weights.h5`) and a writer killed mid-write leaves only dotfiles that `remove_leftovers` clears.
"""
from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def replacing(path: Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temp path to write `path`'s new content to; on a clean exit it replaces `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex[:12]}-{path.name}")
    try:
        yield tmp
        if durable:
            _fsync(tmp, os.O_RDONLY)
        os.chmod(tmp, 0o644)  # readable by other users of the data, whatever the writer's umask did
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync(path.parent, os.O_RDONLY)  # the rename itself


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    with replacing(path, durable=durable) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    write_bytes(path, text.encode("utf-8"), durable=durable)


def write_json(path: Path, value: Any, *, durable: bool = True) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=True), durable=durable)


def remove_leftovers(folder: Path) -> None:
    """Delete temp files of writers killed mid-write (never a finished file)."""
    for leftover in Path(folder).glob(f"{TEMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
