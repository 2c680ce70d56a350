"""RQ job state -> transfergen job view: statuses and failure messages."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from rq.job import JobStatus

from worker.views import failure_message, job_status


def _job(status=JobStatus.FAILED, meta=None, exc_string=None, timeout=60):
    result = SimpleNamespace(exc_string=exc_string) if exc_string is not None else None
    return SimpleNamespace(
        id="j1", meta=meta or {}, timeout=timeout, created_at=datetime(2026, 1, 1),
        get_status=lambda refresh=True: status, latest_result=lambda: result,
    )


@pytest.mark.parametrize("rq_status, expected", [
    (JobStatus.QUEUED, "queued"), (JobStatus.DEFERRED, "queued"), (JobStatus.SCHEDULED, "queued"),
    (JobStatus.STARTED, "running"), (JobStatus.FINISHED, "succeeded"), (JobStatus.FAILED, "failed"),
    (JobStatus.STOPPED, "canceled"), (JobStatus.CANCELED, "canceled"),
])
def test_status_mapping(rq_status, expected):
    assert job_status(_job(rq_status)) == expected


def test_a_job_that_stopped_on_its_cancel_flag_is_canceled_not_succeeded():
    assert job_status(_job(JobStatus.FINISHED, meta={"canceled": True})) == "canceled"


@pytest.mark.parametrize("exc_string, expected_start", [
    ("Traceback...\nrq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (60 seconds)",
     "training did not finish within the job time limit (60 s)"),
    ("Moved to FailedJobRegistry, due to AbandonedJobError, at 2026-01-01",
     "the worker stopped while this job was running"),
    ("Work-horse terminated unexpectedly; waitpid returned 9 (signal 9); ", "the training process was killed"),
    ("Traceback...\nZeroDivisionError: division by zero",
     "training failed because of an internal error (ZeroDivisionError: division by zero); see the worker log"),
    ("", "training failed because of an internal error (no details)"),
])
def test_failure_messages(exc_string, expected_start):
    assert failure_message(_job(exc_string=exc_string)).startswith(expected_start)


def test_training_error_message_wins():
    job = _job(meta={"error": "dataset 'd' has 1 training images; at least 2 are needed"}, exc_string="x")
    assert failure_message(job) == "dataset 'd' has 1 training images; at least 2 are needed"
