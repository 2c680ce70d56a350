"""Staging folders of killed work horses are removed at the next worker start, and only those."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT
from worker.staging import MARKER, remove_abandoned, training_staging_dir, unmark


def test_folder_is_removed_on_error_and_kept_when_published(data_dir):
    try:
        with training_staging_dir(data_dir) as folder:
            (folder / "partial.keras").write_bytes(b"x")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not folder.exists()

    with training_staging_dir(data_dir) as folder:
        unmark(folder)
        folder.rename(data_dir / "published")
    assert sorted(p.name for p in (data_dir / "published").iterdir()) == []


def test_only_unlocked_marked_folders_are_removed(data_dir):
    code = (  # a "horse" killed mid-run: its folder stays, marked, with nobody holding the lock
        "import os, sys; from worker.staging import training_staging_dir\n"
        f"with training_staging_dir({str(data_dir)!r}) as f:\n"
        "    print(f); sys.stdout.flush(); os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    killed = out.stdout.strip()
    upload = data_dir / "tmp" / "an-upload"  # someone else's staging folder: no marker
    upload.mkdir()

    with training_staging_dir(data_dir) as running:
        assert [str(p) for p in remove_abandoned(data_dir)] == [killed]
        assert running.is_dir() and (running / MARKER).is_file() and upload.is_dir()
