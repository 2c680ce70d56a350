"""Job states end to end: a real `python -m worker` subprocess, real Redis, tiny real training."""
from __future__ import annotations

import json

from models import storage
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for, wait_for_job

DONE = {"succeeded", "failed", "canceled"}


def _leftover_staging(data_dir) -> list:
    tmp = data_dir / "tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


def test_job_succeeds_and_publishes_the_run_folder(job_queue, data_dir, worker_process):
    dataset_id = write_dataset(data_dir, resolution=16)
    job = job_queue.enqueue(tiny_config(dataset_id, steps=4))
    assert job["status"] in ("queued", "running")

    view = wait_for_job(job_queue, job["id"], DONE)

    assert view["status"] == "succeeded", view
    assert view["error"] is None
    assert view["progress"]["step"] == view["progress"]["total_steps"] == 4
    assert {"step", "total_steps", "fraction", "images_per_second", "eta_seconds", "losses"} <= set(view["progress"])
    assert view["started_at"] and view["finished_at"] and view["created_at"] <= view["started_at"]
    folder = storage.model_dir(data_dir, view["model_id"])
    assert folder == storage.models_root(data_dir) / view["model_id"]
    card = storage.read_json(folder / storage.MODEL_CARD)
    assert (card["id"], card["job_id"], card["parent_id"]) == (view["model_id"], job["id"], None)
    assert (folder / storage.GENERATOR_EMA_FILE).is_file()
    assert _leftover_staging(data_dir) == []
    assert job_queue.active_jobs_for_dataset(dataset_id) == []


def test_fine_tune_from_a_base_model(job_queue, data_dir, tiny_base_model, worker_process):
    dataset_id = write_dataset(data_dir, resolution=16, seed=1)
    job = job_queue.enqueue(tiny_config(dataset_id, base_model_id=tiny_base_model, steps=3))

    view = wait_for_job(job_queue, job["id"], DONE)

    assert view["status"] == "succeeded", view
    card = storage.read_json(storage.model_dir(data_dir, view["model_id"]) / storage.MODEL_CARD)
    assert card["parent_id"] == tiny_base_model


def test_training_error_fails_with_its_message_and_no_leftovers(job_queue, data_dir, worker_process):
    dataset_id = write_dataset(data_dir, resolution=16)
    job = job_queue.enqueue(tiny_config(dataset_id, base_model_id="no-such-base"))

    view = wait_for_job(job_queue, job["id"], DONE)

    assert view["status"] == "failed"
    assert "'no-such-base'" in view["error"] and "does not exist" in view["error"]  # models' TrainingError
    assert view["model_id"] is None and view["finished_at"]
    assert _leftover_staging(data_dir) == []
    assert not storage.models_root(data_dir).exists() or not any(storage.models_root(data_dir).iterdir())


def test_job_over_its_time_limit_fails_with_advice(job_queue, data_dir, worker_process):
    from worker.queue import JobQueue

    # Long enough that RQ's SIGALRM lands in the training loop: seconds-long limits can expire while
    # TensorFlow is being imported, where the exception may be swallowed (real limits are days).
    short = JobQueue(job_queue.conn, job_queue.settings.model_copy(update={"job_timeout": 12}))
    job = short.enqueue(tiny_config(write_dataset(data_dir), steps=100_000))

    view = wait_for_job(job_queue, job["id"], DONE)

    assert view["status"] == "failed"
    assert view["error"].startswith("training did not finish within the job time limit (12 s)")
    assert _leftover_staging(data_dir) == []


def test_cancel_running_job_ends_canceled(job_queue, data_dir, worker_process):
    dataset_id = write_dataset(data_dir, resolution=16)
    job = job_queue.enqueue(tiny_config(dataset_id, steps=100_000))
    wait_for(lambda: (job_queue.get(job["id"])["progress"] or {}).get("step"), timeout=90, what="first progress")

    canceling = job_queue.cancel(job["id"])
    assert canceling["status"] == "running" and canceling["cancel_requested"] is True
    view = wait_for_job(job_queue, job["id"], DONE, timeout=30)

    assert view["status"] == "canceled", view
    assert view["error"] is None and view["model_id"] is None and view["finished_at"]
    assert view["progress"]["step"] < 100_000
    assert job_queue.cancel(job["id"]) == view  # idempotent
    assert _leftover_staging(data_dir) == []
    assert job_queue.active_jobs_for_dataset(dataset_id) == []


def test_cancel_flag_is_checked_before_training_starts(job_queue, data_dir, request):
    """cancel() saw the job queued but a worker dequeued it first: it must not train."""
    from rq.job import Job

    from worker.queue import SERIALIZER, cancel_key

    job = job_queue.enqueue(tiny_config(write_dataset(data_dir), steps=100_000))
    job_queue.conn.set(cancel_key(job["id"]), 1)
    request.getfixturevalue("worker_process")  # start the worker only now

    view = wait_for_job(job_queue, job["id"], DONE, timeout=30)

    assert view["status"] == "canceled" and view["progress"] is None
    rq_job = Job.fetch(job["id"], connection=job_queue.conn, serializer=SERIALIZER)
    assert rq_job.get_status() == "finished"  # RQ's view; ours is "canceled"
    assert rq_job.return_value() == {"canceled": True}


def test_payload_is_json(job_queue, data_dir):
    import zlib

    dataset_id = write_dataset(data_dir)
    job = job_queue.enqueue(tiny_config(dataset_id))

    raw = job_queue.conn.hget(f"rq:job:{job['id']}", "data")
    func, _instance, args, kwargs = json.loads(zlib.decompress(raw))
    assert func == "worker.jobs.train_job"
    assert args == [{"job_id": job["id"], "config": tiny_config(dataset_id).model_dump(mode="json")}]
    assert kwargs == {}
