"""Webhook outbox and dispatcher: signed POSTs, retries with backoff, give-up, progress coalescing."""
from __future__ import annotations

import json
import time

import pytest

from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for
from jobs import webhooks
from jobs.queue import JobQueue
from jobs.record import JobProgress
from tests.utils.webhooks import WebhookReceiver, verify

SECRET = "s3cret"


@pytest.fixture
def hook_settings(settings):
    return settings.model_copy(update={"webhook_secret": SECRET, "webhook_backoff_s": 0.2, "webhook_max_attempts": 3,
                                       "webhook_allowed_hosts": ["127.0.0.1"]})  # the test receivers' host


@pytest.fixture
def queue(job_queue, hook_settings):
    return JobQueue(job_queue.conn, hook_settings)


def _dispatch_until(dispatcher, check, timeout=10):
    def step():
        dispatcher.run_once()
        return check()
    return wait_for(step, timeout=timeout, interval=0.05, what="webhook deliveries")


def test_terminal_state_is_posted_signed(queue, hook_settings, data_dir):
    with WebhookReceiver() as receiver:
        job = queue.enqueue(tiny_config(write_dataset(data_dir)), webhook_url=receiver.url)
        queue.cancel(job.id)
        dispatcher = webhooks.WebhookDispatcher(queue.conn, hook_settings)
        try:
            _dispatch_until(dispatcher, lambda: receiver.requests)
        finally:
            dispatcher.stop()

    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-transfergen-event"] == "job.canceled"
    assert headers["x-transfergen-delivery"] == f"{job.id}.canceled"
    assert verify(SECRET, headers["x-transfergen-signature"], request["body"])
    assert not verify("wrong", headers["x-transfergen-signature"], request["body"])
    assert not verify(SECRET, headers["x-transfergen-signature"], request["body"] + b" ")
    body = json.loads(request["body"])
    assert body["id"] == job.id and body["status"] == "canceled"
    assert webhooks.pending(queue.conn, hook_settings.queue_name) == []


def test_failures_are_retried_with_backoff_then_given_up_and_logged(queue, hook_settings, data_dir):
    with WebhookReceiver(statuses=[500, 503, 500, 500]) as receiver:
        url = receiver.url + "?token=s3cret"  # the event log shows it without the secret
        job = queue.enqueue(tiny_config(write_dataset(data_dir)), webhook_url=url)
        queue.cancel(job.id)
        dispatcher = webhooks.WebhookDispatcher(queue.conn, hook_settings)
        try:
            _dispatch_until(dispatcher, lambda: not webhooks.pending(queue.conn, hook_settings.queue_name))
        finally:
            dispatcher.stop()

    assert len(receiver.requests) == 3  # webhook_max_attempts
    last = queue.events(job.id)[-1]
    assert last.type == "webhook_failed" and "after 3 attempts (last: delivery failed: HTTP 500)" in last.message
    assert "s3cret" not in last.message


def test_a_retry_succeeds(queue, hook_settings, data_dir):
    with WebhookReceiver(statuses=[500]) as receiver:
        job = queue.enqueue(tiny_config(write_dataset(data_dir)), webhook_url=receiver.url)
        queue.cancel(job.id)
        dispatcher = webhooks.WebhookDispatcher(queue.conn, hook_settings)
        started = time.monotonic()
        try:
            _dispatch_until(dispatcher, lambda: not webhooks.pending(queue.conn, hook_settings.queue_name))
        finally:
            dispatcher.stop()

    assert len(receiver.requests) == 2 and time.monotonic() - started >= 0.2  # backoff
    assert queue.events(job.id)[-1].type == "canceled"


def test_progress_notifications_are_coalesced_and_opt_in(queue, hook_settings, data_dir):
    dataset_id = write_dataset(data_dir)
    silent = queue.store.read(queue.enqueue(tiny_config(dataset_id), webhook_url="http://127.0.0.1:9/x").id)
    chatty = queue.store.read(queue.enqueue(tiny_config(dataset_id), webhook_url="http://127.0.0.1:9/x",
                                            webhook_progress=True).id)
    for step in (1, 2, 3):
        progress = JobProgress(step=step, total_steps=3, fraction=step / 3)
        for record in (silent, chatty):
            webhooks.notify(queue.conn, hook_settings.queue_name, record.model_copy(update={"progress": progress}),
                            "progress")

    [pending] = webhooks.pending(queue.conn, hook_settings.queue_name)
    assert pending["job_id"] == chatty.id and pending["body"]["progress"]["step"] == 3


def test_a_crashed_dispatchers_claims_are_sent_by_another(queue, hook_settings, data_dir, monkeypatch):
    with WebhookReceiver() as receiver:
        job = queue.enqueue(tiny_config(write_dataset(data_dir)), webhook_url=receiver.url)
        queue.cancel(job.id)
        monkeypatch.setattr(webhooks, "CLAIM_S", 0.3)
        crashed = webhooks.WebhookDispatcher(queue.conn, hook_settings)
        crashed._deliver = lambda *a: None  # claimed, then died before answering
        crashed.run_once()
        other = webhooks.WebhookDispatcher(queue.conn, hook_settings)
        try:
            assert other.run_once() == 0  # still claimed
            _dispatch_until(other, lambda: receiver.requests)
        finally:
            crashed.stop()
            other.stop()
    assert len(receiver.requests) == 1


def test_concurrent_failures_are_all_rescheduled_with_backoff(queue, hook_settings, data_dir):
    """Defect 8: a reschedule WATCHed the shared hash, so another delivery's write lost it (WatchError):
    the delivery then waited out its 120 s claim with attempts still 0."""
    record = queue.store.read(queue.enqueue(tiny_config(write_dataset(data_dir)), webhook_url="http://x.invalid/").id)
    with WebhookReceiver(statuses=[500] * 64) as receiver:
        for i in range(16):
            copy = record.model_copy(update={"id": f"{record.id}{i:02d}"})
            copy.webhook = copy.webhook.model_copy(update={"url": receiver.url})
            webhooks.notify(queue.conn, hook_settings.queue_name, copy, "failed")
        dispatcher = webhooks.WebhookDispatcher(queue.conn, hook_settings, senders=8)
        try:
            assert dispatcher.run_once(limit=16) == 16
        finally:
            dispatcher.stop()
    due_key, _ = webhooks._keys(hook_settings.queue_name)
    entries = webhooks.pending(queue.conn, hook_settings.queue_name)
    assert len(entries) == 16 and {entry["attempts"] for entry in entries} == {1}
    scores = [score for _, score in queue.conn.zrange(due_key, 0, -1, withscores=True)]
    assert max(scores) < time.time() + 5  # the 0.2 s backoff, not the 120 s claim
