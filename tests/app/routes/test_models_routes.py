"""GET/DELETE /v1/models over model folders written by hand (no TensorFlow)."""
from __future__ import annotations

import pytest

from models import storage
from tests.app.factories import assert_error, write_model_card
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config


@pytest.fixture
def pretrained_dir(tmp_path, monkeypatch):
    """Shipped base models live in the package; tests point that folder somewhere disposable."""
    folder = tmp_path / "pretrained"
    monkeypatch.setattr(storage, "PRETRAINED_DIR", folder)
    return folder


def test_list_and_get(client, data_dir, pretrained_dir):
    write_model_card(data_dir, "base", root=pretrained_dir, card={"description": "shipped"})
    write_model_card(data_dir, "aaa-old", created_at="2025-01-01T00:00:00+00:00", parent_id="base")
    write_model_card(data_dir, "zzz-new", created_at="2025-06-01T00:00:00+00:00", metrics={"kid": 0.1})
    models = client.get("/v1/models").json()
    assert [m["id"] for m in models] == ["base", "zzz-new", "aaa-old"]  # bases first, then newest first
    assert [m["deletable"] for m in models] == [False, True, True]
    model = client.get("/v1/models/aaa-old").json()
    assert model == {
        "id": "aaa-old", "family": "gan", "architecture": "lite", "resolution": 16, "latent_dim": 8,
        "parent_id": "base", "dataset_id": None, "job_id": None, "created_at": "2025-01-01T00:00:00+00:00",
        "metrics": {}, "card": {}, "deletable": True, "owner": None,  # made before owners: admins only
    }
    assert client.get("/v1/models/base").json()["card"] == {"description": "shipped"}


def test_delete(client, data_dir, pretrained_dir):
    folder = write_model_card(data_dir, "mine")
    assert client.delete("/v1/models/mine").status_code == 204
    assert not folder.exists() and not any((data_dir / "tmp").iterdir())
    assert_error(client.get("/v1/models/mine"), 404, "model_not_found")
    assert_error(client.delete("/v1/models/mine"), 404, "model_not_found")


def test_shipped_base_is_protected(client, data_dir, pretrained_dir):
    write_model_card(data_dir, "base", root=pretrained_dir)
    assert_error(client.delete("/v1/models/base"), 409, "model_protected")
    assert (pretrained_dir / "base").is_dir()


def test_base_of_a_queued_job_is_not_deleted(client, data_dir, pretrained_dir):
    write_model_card(data_dir, "mine")
    body = tiny_config(write_dataset(data_dir), base_model_id="mine").model_dump(mode="json")
    job = client.post("/v1/jobs", json=body).json()
    error = assert_error(client.delete("/v1/models/mine"), 409, "model_in_use")
    assert error["details"] == {"job_ids": [job["id"]]}


@pytest.mark.parametrize("path", ["/v1/models/nope", "/v1/models/bad.id", "/v1/models/nope/images/1.png"])
def test_unknown_model_is_404(client, path):
    assert_error(client.get(path), 404, "model_not_found")
