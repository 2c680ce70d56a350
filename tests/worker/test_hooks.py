"""progress_fn / abort_fn: throttled Redis traffic, final progress always written."""
from __future__ import annotations

from types import SimpleNamespace

import redis

from worker.hooks import JobHooks
from worker.queue import cancel_key


class FakeJob(SimpleNamespace):
    def save_meta(self):
        self.saved.append(dict(self.meta))


def _progress(step, total=100):
    return {"step": step, "total_steps": total}


def test_progress_is_throttled_but_the_last_report_always_lands(redis_url):
    job = FakeJob(id="hooks-test", meta={}, saved=[], connection=redis.Redis.from_url(redis_url))
    hooks = JobHooks(job)

    for step in range(1, 100):
        hooks.progress(_progress(step))
    hooks.progress(_progress(100))

    assert [m["progress"]["step"] for m in job.saved] == [1, 100]


def test_abort_reads_the_cancel_flag_at_most_twice_a_second(redis_url):
    conn = redis.Redis.from_url(redis_url)
    job = FakeJob(id="hooks-abort-test", meta={}, saved=[], connection=conn)
    conn.delete(cancel_key(job.id))
    hooks = JobHooks(job)

    assert hooks.should_abort() is False
    conn.set(cancel_key(job.id), 1)
    try:
        assert hooks.should_abort() is False  # still within the throttle window
        hooks._last_abort_check -= 1.0
        assert hooks.should_abort() is True
        conn.delete(cancel_key(job.id))
        assert hooks.should_abort() is True  # once asked to stop, it stays stopped
    finally:
        conn.delete(cancel_key(job.id))
