"""/healthz and /readyz."""
from __future__ import annotations

import os

import pytest

from tests.app.factories import assert_error


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_not_ready_without_redis(make_client):
    client = make_client(redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert client.get("/healthz").status_code == 200  # liveness needs no dependency
    error = assert_error(client.get("/readyz"), 503, "not_ready")
    assert error["details"] == {"redis": "not reachable"}  # no Redis error text (host, port, errno)
    listing = client.get("/v1/jobs")  # job records are files in DATA_DIR: listing needs no Redis
    assert listing.status_code == 200 and listing.json() == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_not_ready_when_data_dir_is_read_only(make_client, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    error = assert_error(make_client(data_dir=folder).get("/readyz"), 503, "not_ready")
    assert "data_dir" in error["details"]


def test_not_ready_when_data_dir_is_a_file(make_client, tmp_path):
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    error = assert_error(make_client(data_dir=path).get("/readyz"), 503, "not_ready")
    assert error["details"] == {"data_dir": "not writable"}
    assert str(tmp_path) not in str(error)  # no DATA_DIR path in an answer anyone may ask for
