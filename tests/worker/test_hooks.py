"""progress_fn / abort_fn of a running job: throttled record writes, events, cancel, a lost lease."""
from __future__ import annotations

import time
import uuid

import pytest
import redis

from jobs.queue import cancel_key
from jobs.record import JobRecord
from jobs.store import JobStore
from models.progress import TrainingProgress
from worker import lease
from worker.hooks import JobHooks


@pytest.fixture
def running(data_dir, redis_url):
    """A running job's record, owned by `token`; yields (store, conn, job_id, token)."""
    conn = redis.Redis.from_url(redis_url)
    store = JobStore(data_dir)
    job_id = uuid.uuid4().hex
    token = lease.new_token()
    store.create(JobRecord(id=job_id, queue="q", config={}, lease=token), message="queued")
    with store.transaction(job_id) as txn:
        txn.set_status("running")
    yield store, conn, job_id, token
    conn.delete(cancel_key(job_id), lease.lease_key(job_id))


def _hooks(store, conn, job_id, token, checkpoint_step=None, shutdown_requested=None, deadline=None):
    return JobHooks(store=store, conn=conn, queue_name="q", job_id=job_id, token=token, keeper=None,
                    cancel_key=cancel_key(job_id), checkpoint_step=checkpoint_step, webhook_progress_interval_s=30,
                    shutdown_requested=shutdown_requested, deadline=deadline)


def _progress(step, total=100, checkpoint=None, metrics=None):
    return TrainingProgress(step=step, total_steps=total, fraction=step / total, checkpoint_step=checkpoint,
                            latest_metrics=metrics)


def test_progress_is_throttled_but_checkpoints_evaluations_and_the_end_always_land(running):
    store, conn, job_id, token = running
    hooks = _hooks(store, conn, job_id, token)
    writes = []
    original = store.transaction

    def counting(*args, **kwargs):
        writes.append(args)
        return original(*args, **kwargs)

    store.transaction = counting

    for step in range(1, 50):
        hooks.progress(_progress(step))
    hooks.progress(_progress(50, checkpoint=50))
    hooks.progress(_progress(51, checkpoint=50))  # same checkpoint: throttled again
    hooks.progress(_progress(60, checkpoint=50, metrics={"step": 60, "kid_mean": 0.0123}))
    hooks.progress(_progress(100, checkpoint=50, metrics={"step": 60, "kid_mean": 0.0123}))

    assert len(writes) == 4  # step 1, the checkpoint, the evaluation, the end
    record = store.read(job_id)
    assert record.progress.step == 100 and record.progress.updated_at
    events = [(e.type, e.message) for e in store.events(job_id)][1:]
    assert events == [("checkpoint", "checkpoint saved at step 50"), ("evaluated", "evaluated at step 60: KID 0.0123")]


def test_abort_reads_the_cancel_flag_at_most_twice_a_second(running):
    store, conn, job_id, token = running
    hooks = _hooks(store, conn, job_id, token)

    assert hooks.should_abort() is False
    conn.set(cancel_key(job_id), 1)
    assert hooks.should_abort() is False  # still within the throttle window
    hooks._last_abort_check -= 1.0
    assert hooks.should_abort() is True
    conn.delete(cancel_key(job_id))
    assert hooks.should_abort() is True  # once asked to stop, it stays stopped


def test_a_passed_deadline_aborts_as_timed_out_not_canceled(running):
    store, conn, job_id, token = running
    hooks = _hooks(store, conn, job_id, token, deadline=time.monotonic() + 60)

    assert hooks.should_abort() is False and hooks.timed_out is False
    hooks.deadline = time.monotonic() - 0.001
    assert hooks.should_abort() is True and hooks.timed_out is True
    assert hooks.paused is False and store.read(job_id).cancel_requested is False


def test_abort_also_reads_the_record_when_redis_lost_the_flag(running):
    store, conn, job_id, token = running
    hooks = _hooks(store, conn, job_id, token)
    with store.transaction(job_id) as txn:
        txn.record.cancel_requested = True

    assert hooks.should_abort() is False
    hooks._last_record_check -= 10
    assert hooks.should_abort() is True


def test_a_horse_that_lost_its_lease_writes_nothing_and_aborts(running):
    store, conn, job_id, token = running
    hooks = _hooks(store, conn, job_id, token)
    with store.transaction(job_id) as txn:
        txn.record.lease = lease.new_token()  # a resumed run took over
    before = store.read(job_id)

    hooks.progress(_progress(10, checkpoint=10))

    assert hooks.superseded is True and hooks.should_abort() is True
    assert store.read(job_id) == before


def test_a_resumed_run_logs_only_what_it_does_itself(running):
    store, conn, job_id, token = running
    hooks = _hooks(store, conn, job_id, token, checkpoint_step=50)

    hooks.progress(_progress(51, checkpoint=50, metrics={"step": 50, "kid_mean": 0.5}))  # restored, not new
    hooks.progress(_progress(60, checkpoint=60, metrics={"step": 60, "kid_mean": 0.4}))

    assert [(e.type, e.step) for e in store.events(job_id)[1:]] == [("checkpoint", 60), ("evaluated", 60)]


def test_a_shutdown_of_its_worker_pauses_the_run_and_a_cancel_wins_over_it(running):
    store, conn, job_id, token = running
    shutting_down = []
    hooks = _hooks(store, conn, job_id, token, shutdown_requested=lambda: bool(shutting_down))

    assert hooks.should_abort() is False
    shutting_down.append(True)
    assert hooks.should_abort() is False  # still within the throttle window
    hooks._last_abort_check -= 1.0
    assert hooks.should_abort() is True and hooks.paused is True

    canceled = _hooks(store, conn, job_id, token, shutdown_requested=lambda: True)
    conn.set(cancel_key(job_id), 1)
    assert canceled.should_abort() is True and canceled.paused is False  # canceled, not paused
