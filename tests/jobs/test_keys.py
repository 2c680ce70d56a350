"""The API key store and its CLI, on the test's Redis and queue."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jobs.connection import connect
from jobs.keys import KeyStore, Role
from jobs.keys.__main__ import main
from tests.conftest import REPO_ROOT, worker_env


@pytest.fixture
def keys(settings) -> KeyStore:
    return KeyStore(connect(settings), settings.queue_name)


def test_a_key_is_stored_only_as_its_digest(keys, settings):
    made = keys.create("ci", Role.USER)
    assert made.key.startswith(f"tg_{made.record.id}_")
    stored = connect(settings).hgetall(keys.records_key) | connect(settings).hgetall(keys.digests_key)
    assert all(made.key.encode() not in k + v for k, v in stored.items())
    assert "digest" not in made.record.public()


def test_authenticate_finds_active_keys_only(keys):
    made = keys.create("ci", "admin")
    assert keys.authenticate(made.key).id == made.record.id
    assert keys.authenticate(made.key + "x") is None
    assert keys.authenticate("") is None
    assert keys.has_active_keys()
    keys.revoke(made.record.id)
    assert keys.authenticate(made.key) is None
    assert not keys.has_active_keys()
    assert keys.list()[0].revoked_at is not None  # kept: it still names the owner of what it made


def test_revoke_is_idempotent_and_unknown_ids_are_none(keys):
    made = keys.create("ci", "user")
    first = keys.revoke(made.record.id)
    assert keys.revoke(made.record.id).revoked_at == first.revoked_at
    assert keys.revoke("nope") is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
def test_bad_names_are_refused(keys, name):
    with pytest.raises(ValueError):
        keys.create(name, "user")


def test_keys_of_one_queue_are_not_keys_of_another(keys, settings):
    made = keys.create("ci", "user")
    other = KeyStore(connect(settings), settings.queue_name + "-other")
    assert other.authenticate(made.key) is None and not other.has_active_keys()


def test_cli_create_list_revoke(settings, monkeypatch, capsys):
    for name, value in worker_env(settings).items():
        monkeypatch.setenv(name, value)
    assert main(["create", "--name", "first admin", "--role", "admin"]) == 0
    key = capsys.readouterr().out.strip()
    record = KeyStore(connect(settings), settings.queue_name).authenticate(key)
    assert record is not None and record.role == Role.ADMIN
    assert main(["list"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed == [record.public()] and key not in json.dumps(listed)
    assert main(["revoke", record.id]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_at"]
    assert main(["revoke", "unknown"]) == 1


@pytest.mark.slow
def test_cli_runs_as_a_module(settings):
    run = subprocess.run([sys.executable, "-m", "jobs.keys", "create", "--name", "x", "--role", "user"],
                         cwd=REPO_ROOT, env=worker_env(settings), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert KeyStore(connect(settings), settings.queue_name).authenticate(run.stdout.strip()) is not None
