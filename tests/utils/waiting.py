"""Polling helpers for things that happen in other processes (workers, servers)."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], *, timeout: float = 60.0, interval: float = 0.1, what: str = "condition") -> T:
    """Call `check` until it returns something truthy; that value is returned. Fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def wait_for_job(queue, job_id: str, statuses: set[str], *, timeout: float = 90.0):
    """The job's view (jobs.views.JobView) once its status is one of `statuses` (queue: a jobs.queue.JobQueue)."""
    return wait_for(
        lambda: (view := queue.get(job_id)) is not None and view.status in statuses and view,
        timeout=timeout, interval=0.2, what=f"job {job_id} to become {sorted(statuses)}",
    )
