"""Defect 7: an API killed mid-ingest left DATA_DIR/tmp/<dir>/pending/... forever; start-up removes stale ones."""
from __future__ import annotations

import os
import time


def _staged(data_dir, name: str, age_s: float):
    folder = data_dir / "tmp" / name / "pending"
    folder.mkdir(parents=True)
    image = folder / "00000.png"
    image.write_bytes(b"half an upload")
    then = time.time() - age_s
    for path in (image, folder, folder.parent):
        os.utime(path, (then, then))
    return folder.parent


def test_start_up_removes_stale_staging_and_keeps_fresh(make_client, data_dir):
    stale = _staged(data_dir, "tmpkilled", age_s=7200)
    fresh = _staged(data_dir, "tmpbusy", age_s=10)  # another process's upload in progress
    make_client(stale_staging_s=3600)
    assert not stale.exists()
    assert fresh.exists()


def test_stale_age_counts_the_newest_file(make_client, data_dir):
    folder = _staged(data_dir, "tmpgrowing", age_s=7200)
    (folder / "pending" / "00001.png").write_bytes(b"written just now")  # still being written to
    make_client(stale_staging_s=3600)
    assert folder.exists()
