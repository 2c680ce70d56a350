"""The sweep, without a worker: lost running jobs, jobs Redis forgot, give-up, forgetting old jobs."""
from __future__ import annotations

import numpy as np
import pytest

from models import storage
from models.checkpoints import CHECKPOINT_NAME
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config
from jobs.record import JobProgress
from worker import lease
from worker.recovery import Recovery


@pytest.fixture
def recovery(job_queue, settings):
    return Recovery(job_queue.conn, settings)


def _start(job_queue, data_dir, checkpoint=None, step=7):
    """A job as a horse leaves it when killed: running, lease lapsed, RQ job started, maybe a checkpoint."""
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    rq_job = job_queue.queue.fetch_job(job.id)
    job_queue.queue.remove(job.id)
    rq_job.set_status("started")
    with job_queue.store.transaction(job.id) as txn:
        txn.set_status("running")
        txn.record.attempt, txn.record.lease = 1, "host:1:dead"
        txn.record.progress = JobProgress(step=step, total_steps=10, fraction=step / 10)
    if checkpoint is not None:
        _checkpoint(job_queue, job.id, checkpoint)
    return job.id


def _age(job_queue, job_id):
    """Make the record look last changed long ago (a transaction would stamp it now)."""
    path = job_queue.store.folder(job_id) / "job.json"
    storage.write_json_atomic(path, {**storage.read_json(path), "updated_at": "2020-01-01T00:00:00+00:00"})


def _checkpoint(job_queue, job_id, step):
    folder = job_queue.store.run_dir(job_id) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / CHECKPOINT_NAME, step=np.int64(step))


def test_a_running_job_without_a_lease_is_lost_and_requeued(recovery, job_queue, data_dir):
    job_id = _start(job_queue, data_dir, checkpoint=5)

    assert recovery.sweep() == [job_id]

    view = job_queue.get(job_id)
    assert view.status == "running" and view.resuming is True and view.queue_position == 1
    lost = job_queue.events(job_id)[-1]
    assert lost.type == "lost" and lost.message == "worker was lost at step 7; resuming from step 5"
    assert job_queue.queue.get_job_ids() == [job_id]
    assert job_queue.rq_status(job_id) == "queued"
    assert recovery.sweep() == []  # already waiting: not enqueued twice
    assert job_queue.queue.get_job_ids() == [job_id]


def test_a_live_lease_is_left_alone(recovery, job_queue, data_dir):
    job_id = _start(job_queue, data_dir)
    token = lease.new_token()
    lease.acquire(job_queue.conn, job_id, token, 30)
    try:
        assert recovery.sweep() == []
        assert job_queue.get(job_id).resuming is False
    finally:
        lease.release(job_queue.conn, job_id, token)


def test_the_worker_of_a_dead_horse_records_the_loss_at_once(recovery, job_queue, data_dir):
    job_id = _start(job_queue, data_dir)
    dead = lease.new_token(pid=4242)
    lease.acquire(job_queue.conn, job_id, dead, 30)  # the TTL has not run out yet

    assert recovery.record_dead_horse(job_id, horse_pid=4243) is False  # another horse's lease
    assert recovery.record_dead_horse(job_id, horse_pid=4242) is True
    assert job_queue.get(job_id).resuming is True
    assert job_queue.events(job_id)[-1].type == "lost" and lease.holder(job_queue.conn, job_id) is None
    assert job_queue.queue.get_job_ids() == []  # RQ's Retry requeues it, in the worker that saw the horse die


def test_lost_again_and_again_without_progress_fails(recovery, job_queue, data_dir, settings):
    job_id = _start(job_queue, data_dir, checkpoint=5)
    for attempt in range(settings.max_lost_without_progress):
        assert recovery.sweep() == [job_id]
        with job_queue.store.transaction(job_id) as txn:  # a horse takes it... and dies again at once
            txn.record.pending_resume, txn.record.lease = False, "host:1:dead"
        job_queue.conn.delete(lease.lease_key(job_id))
    assert recovery.sweep() == [job_id]

    view = job_queue.get(job_id)
    assert view.status == "failed"
    assert view.error.startswith(f"the worker training this job was lost {settings.max_lost_without_progress + 1} "
                                    "times without getting past step 5")
    assert job_queue.events(job_id)[-1].status == "failed"


def test_progress_between_losses_resets_the_count(recovery, job_queue, data_dir, settings):
    job_id = _start(job_queue, data_dir, checkpoint=5)
    for step in range(10, 10 + 2 * settings.max_lost_without_progress):
        assert recovery.sweep() == [job_id]
        _checkpoint(job_queue, job_id, step)
        with job_queue.store.transaction(job_id) as txn:
            txn.record.pending_resume, txn.record.lease = False, "host:1:dead"
    assert job_queue.get(job_id).status == "running"


def test_a_queued_job_that_redis_forgot_is_enqueued_again(recovery, job_queue, data_dir):
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    job_queue.queue.fetch_job(job.id).delete()  # Redis flushed

    assert recovery.sweep() == []  # a fresh job: the API may not have enqueued it yet
    _age(job_queue, job.id)
    assert recovery.sweep() == [job.id]

    assert job_queue.get(job.id).queue_position == 1
    assert job_queue.events(job.id)[-1].type == "requeued"


def test_a_resuming_job_that_redis_forgot_is_enqueued_again(recovery, job_queue, data_dir):
    job_id = _start(job_queue, data_dir, checkpoint=5)
    recovery.sweep()
    job_queue.delete_rq_job(job_id)
    assert recovery.sweep() == []  # just re-enqueued: give the enqueueing a moment
    _age(job_queue, job_id)

    assert recovery.sweep() == [job_id]
    assert job_queue.queue.get_job_ids() == [job_id]


def test_finished_jobs_are_forgotten_after_their_ttl(recovery, job_queue, data_dir):
    old = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    recent = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    for job in (old, recent):
        job_queue.cancel(job.id)
    with job_queue.store.transaction(old.id) as txn:
        txn.record.finished_at = "2020-01-01T00:00:00+00:00"

    recovery.sweep()

    assert [v.id for v in job_queue.list()] == [recent.id]
    assert not (data_dir / "jobs" / old.id).exists()


def test_a_lost_job_that_was_being_canceled_ends_canceled(recovery, job_queue, data_dir):
    job_id = _start(job_queue, data_dir, checkpoint=5)
    job_queue.cancel(job_id)

    assert recovery.sweep() == [job_id]

    view = job_queue.get(job_id)
    assert view.status == "canceled" and job_queue.queue.get_job_ids() == []
    assert job_queue.events(job_id)[-1].message == ("canceled: its worker was lost at step 7 while it stopped; "
                                                       "its checkpoint (step 5) is kept")
