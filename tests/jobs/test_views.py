"""Job record -> the job view the API returns."""
from __future__ import annotations

from jobs.record import JobRecord
from jobs.views import job_view

RECORD = JobRecord(
    id="j1", queue="q", status="running", config={"steps": 5},
    progress={"step": 2, "total_steps": 5, "fraction": 0.4}, model_id="m1", error="old", cancel_requested=True,
    pending_resume=False, attempt=1, webhook={"url": "http://hook.example/x", "progress": False},
    created_at="c", started_at="s", updated_at="u", finished_at=None,
)


def _with(**changes) -> JobRecord:
    return JobRecord.model_validate({**RECORD.model_dump(), **changes})


def test_running_view():
    view = job_view(RECORD, queue_position=None)
    assert view.status == "running" and view.progress.step == 2
    assert view.model_id is None and view.error is None  # only once succeeded / failed
    assert view.cancel_requested is True and view.resuming is False
    assert view.webhook_url == "http://hook.example/x" and view.attempts == 1
    assert (view.created_at, view.started_at, view.updated_at) == ("c", "s", "u")


def test_terminal_views_show_their_outcome_only():
    assert job_view(_with(status="succeeded")).model_id == "m1"
    failed = job_view(_with(status="failed"))
    assert failed.error == "old" and failed.model_id is None and failed.cancel_requested is False


def test_queue_position_only_while_waiting():
    assert job_view(_with(status="queued"), queue_position=3).queue_position == 3
    assert job_view(_with(status="succeeded"), queue_position=3).queue_position is None
    resuming = job_view(_with(pending_resume=True), queue_position=1)
    assert resuming.resuming is True and resuming.queue_position == 1


def test_the_webhook_url_is_shown_without_credentials():
    view = job_view(_with(webhook={"url": "https://user:pw@hook.example:8443/x?token=s3cret&a=1#frag"}))
    assert view.webhook_url == "https://***@hook.example:8443/x?token=***&a=***"
