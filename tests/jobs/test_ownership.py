"""Owners on disk."""
from __future__ import annotations

from jobs.ownership import OWNER_FILE, read_owner, write_owner


def test_written_owner_is_read_back(tmp_path):
    write_owner(tmp_path / "new", "k1")
    assert read_owner(tmp_path / "new") == "k1"


def test_missing_or_foreign_files_mean_no_owner(tmp_path):
    assert read_owner(tmp_path) is None
    for text in ("not json", "[1]", '{"owner": 5}'):
        (tmp_path / OWNER_FILE).write_text(text)
        assert read_owner(tmp_path) is None
