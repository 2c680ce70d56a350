"""A server with API keys: an admin, two users (alice, bob), and things alice owns."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app import generation
from jobs.connection import connect
from jobs.keys import KeyStore
from jobs.ownership import write_owner
from jobs.queue import JobQueue
from models import storage
from tests.app.factories import fake_loader, image_bytes, write_model_card
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config


@dataclass
class Secured:
    """Keys as Authorization headers, and ids of what alice owns."""

    admin: dict
    alice: dict
    bob: dict
    ids: dict[str, str] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)

    wrong = {"Authorization": "Bearer tg_000000000000_not-a-key"}


@pytest.fixture
def keys(settings) -> KeyStore:
    return KeyStore(connect(settings), settings.queue_name)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def fake_models(monkeypatch) -> None:
    """Models load as FakeGenerators (no TensorFlow)."""
    monkeypatch.setattr(generation, "_load", fake_loader([]))


@pytest.fixture
def secured(keys, settings, data_dir, fake_models) -> Secured:
    made = {name: keys.create(name, role) for name, role in
            (("admin", "admin"), ("alice", "user"), ("bob", "user"), ("spare", "user"))}
    sec = Secured(admin=bearer(made["admin"].key), alice=bearer(made["alice"].key), bob=bearer(made["bob"].key))
    sec.key_ids = {name: new.record.id for name, new in made.items()}
    alice = sec.key_ids["alice"]
    for name in ("dataset", "dataset_to_delete", "dataset_for_jobs"):
        sec.ids[name] = write_dataset(data_dir)
        write_owner(storage.datasets_root(data_dir) / sec.ids[name], alice)
    for name in ("model", "model_to_delete"):
        folder = write_model_card(data_dir, storage.new_id())
        (folder / storage.SAMPLES_FILE).write_bytes(image_bytes())
        write_owner(folder, alice)
        sec.ids[name] = folder.name
    queue = JobQueue(connect(settings), settings)
    job = queue.enqueue(tiny_config(sec.ids["dataset_for_jobs"]), owner=alice)  # no worker: stays queued
    (queue.store.run_dir(job.id) / "preview.png").write_bytes(image_bytes())
    sec.ids["job"] = job.id
    return sec
