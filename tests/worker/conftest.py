"""Fixtures for tests/worker."""
from __future__ import annotations

import signal

import pytest
from rq import SimpleWorker

from jobs.queue import SERIALIZER
from jobs.settings import get_queue_settings
from tests.conftest import worker_env

SETTINGS_ENV = ("DATA_DIR", "QUEUE_NAME", "JOB_TIMEOUT", "LEASE_TTL_S", "SWEEP_INTERVAL_S", "MAX_LOST_WITHOUT_PROGRESS",
                "REDIS_URL")


@pytest.fixture
def run_jobs(settings, job_queue, monkeypatch):
    """run_jobs(): RQ's SimpleWorker works this test's queue in this process until it is empty (burst mode).

    The job function reads its settings from the environment, as in a real worker: set here to `settings`.
    """
    env = worker_env(settings)
    for name in SETTINGS_ENV:
        if name in env:
            monkeypatch.setenv(name, env[name])
    get_queue_settings.cache_clear()

    def run() -> None:
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            worker = SimpleWorker([settings.queue_name], connection=job_queue.conn, serializer=SERIALIZER)
            worker.work(burst=True, logging_level="WARNING")
        finally:
            for sig, handler in handlers.items():  # RQ installs its shutdown handlers in this process
                signal.signal(sig, handler)

    yield run
    get_queue_settings.cache_clear()
