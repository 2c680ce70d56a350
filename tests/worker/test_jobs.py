"""Job states end to end: real Redis, real RQ, tiny real training, the job function as RQ runs it.

The jobs run in this process, on RQ's SimpleWorker in burst mode (tests/worker/conftest.py): what is
under test is the job function and its records, not the forking worker, which tests/worker/test_faults.py
and tests/jobs/test_embedded_redis.py run as real `python -m worker` processes.
"""
from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from jobs.ownership import read_owner
from jobs.queue import JobQueue, cancel_key
from models import storage
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for

DONE = {"succeeded", "failed", "canceled"}


def _types(job_queue, job_id) -> list[str]:
    return [e.type for e in job_queue.events(job_id)]


def test_job_succeeds_and_publishes_the_run_folder(job_queue, data_dir, run_jobs):
    dataset_id = write_dataset(data_dir, resolution=16)
    job = job_queue.enqueue(tiny_config(dataset_id, steps=6, checkpoint_every=2, preview_every=3), owner="k1")
    assert job.status == "queued"

    run_jobs()

    view = job_queue.get(job.id)
    assert view.status == "succeeded", view
    assert view.error is None and view.attempts == 1
    progress = view.progress
    assert progress.step == progress.total_steps == 6 and progress.fraction == 1.0
    assert progress.images_per_second > 0 and progress.losses.g is not None and progress.updated_at
    assert view.started_at and view.finished_at and view.created_at <= view.started_at
    assert view.updated_at >= view.started_at
    folder = storage.model_dir(data_dir, view.model_id)
    assert folder == storage.models_root(data_dir) / view.model_id
    card = storage.read_json(folder / storage.MODEL_CARD)
    assert (card["id"], card["job_id"], card["parent_id"]) == (view.model_id, job.id, None)
    assert (folder / storage.GENERATOR_EMA_FILE).is_file() and (folder / "preview.png").is_file()
    assert read_owner(folder) == "k1"  # the job's owner came along with the run folder
    assert not job_queue.store.run_dir(job.id).exists()  # moved, in one rename
    assert job_queue.preview_path(job.id) == folder / "preview.png"
    events = job_queue.events(job.id)
    assert _types(job_queue, job.id) == ["queued", "started", "checkpoint", "checkpoint", "finished"]
    assert [e.step for e in events if e.type == "checkpoint"] == [2, 4]
    assert events[-1].status == "succeeded" and [e.seq for e in events] == [1, 2, 3, 4, 5]
    # Defect 11: events are shown to the job's owner, so they name no worker host or PID
    assert not any(socket.gethostname() in e.message or f":{os.getpid()}" in e.message for e in events)
    assert job_queue.active_jobs_for_dataset(dataset_id) == []
    assert job_queue.rq_status(job.id) == "finished"  # recorded outcomes are returned to RQ, never raised


@pytest.mark.slow  # trains for seconds
def test_fine_tune_from_a_base_model(job_queue, data_dir, tiny_base_model, run_jobs):
    dataset_id = write_dataset(data_dir, resolution=16, seed=1)
    job = job_queue.enqueue(tiny_config(dataset_id, base_model_id=tiny_base_model, steps=3))

    run_jobs()

    view = job_queue.get(job.id)
    assert view.status == "succeeded", view
    card = storage.read_json(storage.model_dir(data_dir, view.model_id) / storage.MODEL_CARD)
    assert card["parent_id"] == tiny_base_model


@pytest.mark.slow  # trains for seconds
def test_failing_jobs_fail_with_their_message_and_the_worker_runs_the_next_one(job_queue, data_dir, run_jobs):
    """Bad input found during training (a base model deleted after queueing, a damaged image) fails
    the job in words a user can act on; the worker goes on to the next job."""
    dataset_id = write_dataset(data_dir, resolution=16)
    missing_base = job_queue.enqueue(tiny_config(dataset_id, base_model_id="no-such-base"))
    damaged_id = write_dataset(data_dir, resolution=16, seed=2)
    (storage.datasets_root(data_dir) / damaged_id / "train" / "00003.png").write_bytes(b"not a png")
    damaged = job_queue.enqueue(tiny_config(damaged_id))
    fine = job_queue.enqueue(tiny_config(dataset_id, steps=2))

    run_jobs()

    first, second, third = (job_queue.get(job.id) for job in (missing_base, damaged, fine))
    assert first.status == "failed"
    assert first.error == "Base model 'no-such-base' does not exist."  # models.preflight, as the API says it
    assert first.model_id is None and first.finished_at
    assert second.status == "failed"
    assert second.error == ("dataset image train/00003.png cannot be read (UnidentifiedImageError); "
                            "the dataset is damaged: upload it again")
    assert _types(job_queue, damaged.id)[-1] == "finished"
    assert not job_queue.store.run_dir(damaged.id).exists()
    assert third.status == "succeeded"
    assert [job_queue.rq_status(job.id) for job in (missing_base, damaged)] == ["finished"] * 2  # not retried


@pytest.mark.slow  # trains for seconds
def test_job_over_its_time_limit_fails_with_advice(job_queue, data_dir, run_jobs):
    from models import training  # noqa: F401  loaded now, so that RQ's alarm lands in the training loop

    short = JobQueue(job_queue.conn, job_queue.settings.model_copy(update={"job_timeout": 3}))
    job = short.enqueue(tiny_config(write_dataset(data_dir), steps=100_000))

    run_jobs()

    view = job_queue.get(job.id)
    assert view.status == "failed"
    assert view.error.startswith("training did not finish within the job time limit (3 s)")


@pytest.mark.slow  # trains for seconds
def test_cancel_running_job_ends_canceled_and_keeps_its_checkpoint(job_queue, data_dir, run_jobs):
    dataset_id = write_dataset(data_dir, resolution=16)
    job = job_queue.enqueue(tiny_config(dataset_id, steps=100_000, checkpoint_every=5))
    canceling = []

    def cancel_at_the_first_checkpoint():
        wait_for(lambda: (progress := job_queue.get(job.id).progress) is not None and progress.checkpoint_step,
                 timeout=90, interval=0.05, what="first checkpoint")
        canceling.append(job_queue.cancel(job.id))

    canceler = threading.Thread(target=cancel_at_the_first_checkpoint, daemon=True)
    canceler.start()
    run_jobs()  # until the job stops
    canceler.join(10)

    assert canceling[0].status == "running" and canceling[0].cancel_requested is True
    view = job_queue.get(job.id)
    assert view.status == "canceled", view
    assert view.error is None and view.model_id is None and view.finished_at
    assert view.progress.step < 100_000
    assert job_queue.cancel(job.id) == view  # idempotent
    assert (job_queue.store.run_dir(job.id) / "checkpoints" / "latest.npz").is_file()
    last = job_queue.events(job.id)[-1]
    assert last.type == "canceled" and last.message.endswith("its checkpoint is kept")
    assert "cancel_requested" in _types(job_queue, job.id)
    assert job_queue.active_jobs_for_dataset(dataset_id) == []


def test_cancel_flag_is_checked_before_training_starts(job_queue, data_dir, run_jobs):
    """cancel() saw the job running but the horse had not started training: it must not train."""
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir), steps=100_000))
    job_queue.conn.set(cancel_key(job.id), 1)

    run_jobs()

    view = job_queue.get(job.id)
    assert view.status == "canceled" and view.progress is None
    assert _types(job_queue, job.id) == ["queued", "started", "canceled"]


def test_payload_is_json(job_queue, data_dir):
    import zlib

    dataset_id = write_dataset(data_dir)
    job = job_queue.enqueue(tiny_config(dataset_id))

    raw = job_queue.conn.hget(f"rq:job:{job.id}", "data")
    func, _instance, args, kwargs = json.loads(zlib.decompress(raw))
    assert func == "worker.jobs.train_job"
    assert args == [{"job_id": job.id, "config": tiny_config(dataset_id).model_dump(mode="json")}]
    assert kwargs == {}


@pytest.mark.slow  # trains until Redis goes, then waits out the lease TTL
def test_a_horse_that_cannot_renew_its_lease_checkpoints_and_stops(job_queue, settings, data_dir):
    """Defect 12: Redis gone mid-run (the launcher and its embedded Redis stopped): the horse must stop
    within about a lease TTL, keep a checkpoint, and publish nothing, instead of training on."""
    import redis

    from worker.jobs import run_job

    dataset_id = write_dataset(data_dir, resolution=16)
    job = job_queue.enqueue(tiny_config(dataset_id, steps=100_000, checkpoint_every=100_000))
    conn = redis.Redis.from_url(settings.redis_url)
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(
        run_job({"job_id": job.id, "config": job.config}, conn=conn, settings=settings)))
    thread.start()
    wait_for(lambda: (job_queue.store.read(job.id).progress or 0) and job_queue.store.read(job.id).progress.step >= 3,
             timeout=120, interval=0.1, what="training to start")
    conn.connection_pool = redis.ConnectionPool(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # Redis gone
    thread.join(timeout=settings.lease_ttl_s + 30)

    assert not thread.is_alive(), "the horse trained on without its lease"
    assert outcome == {"superseded": True}
    record = job_queue.store.read(job.id)
    assert record.status == "running" and record.model_id  # left for the sweep to resume once Redis is back
    assert not (storage.models_root(data_dir) / record.model_id).exists()
    assert any((job_queue.store.run_dir(job.id) / "checkpoints").iterdir())  # saved as it stopped


@pytest.mark.slow  # trains for seconds
def test_the_time_limit_holds_without_rqs_alarm(job_queue, settings, data_dir):
    """The abort check's deadline is the backstop when RQ's one alarm is lost: run_job alone has no alarm."""
    import redis

    from worker.jobs import run_job

    job = job_queue.enqueue(tiny_config(write_dataset(data_dir), steps=100_000))
    outcome = run_job({"job_id": job.id, "config": job.config}, conn=redis.Redis.from_url(settings.redis_url),
                      settings=settings.model_copy(update={"job_timeout": 3}))

    view = job_queue.get(job.id)
    assert view.status == "failed", (outcome, view)
    assert view.error.startswith("training did not finish within the job time limit (3 s)")
    assert view.progress is None or view.progress.step < 100_000  # None: the limit passed before step 1


def test_a_time_limit_alarm_inside_tensorflows_error_path_still_reads_as_the_time_limit():
    from rq.timeouts import JobTimeoutException

    from worker.jobs import _is_job_timeout

    assert _is_job_timeout(JobTimeoutException("Task exceeded maximum timeout value (3 seconds)"))
    mixed = RuntimeError("pybind11::error_already_set: MISMATCH of original and normalized active exception types: "
                         "ORIGINAL InvalidArgumentError REPLACED BY JobTimeoutException: Task exceeded maximum timeout")
    assert _is_job_timeout(mixed)
    assert not _is_job_timeout(RuntimeError("something else")) and not _is_job_timeout(ValueError("REPLACED BY x"))
