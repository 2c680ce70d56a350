"""Fixtures for tests/worker."""
from __future__ import annotations

import pytest

from worker.connection import connect
from worker.queue import JobQueue


@pytest.fixture
def job_queue(settings) -> JobQueue:
    """A JobQueue on this test's queue."""
    return JobQueue(connect(settings), settings)
