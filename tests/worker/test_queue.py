"""JobQueue without a worker: enqueue, read, list, cancel while queued."""
from __future__ import annotations

import re

from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config

VIEW_KEYS = {"id", "status", "config", "progress", "model_id", "error", "cancel_requested",
             "created_at", "started_at", "finished_at"}


def test_enqueue_returns_a_queued_view(job_queue, data_dir, settings):
    dataset_id = write_dataset(data_dir)
    view = job_queue.enqueue(tiny_config(dataset_id))

    assert set(view) == VIEW_KEYS
    assert re.fullmatch(r"[0-9a-f]{32}", view["id"])
    assert view["status"] == "queued" and view["config"]["dataset_id"] == dataset_id
    assert view["progress"] is view["model_id"] is view["error"] is view["started_at"] is None
    assert view["created_at"].endswith("+00:00")
    assert job_queue.get(view["id"]) == view
    job = job_queue.queue.fetch_job(view["id"])
    assert job.timeout == settings.job_timeout and job.result_ttl == settings.result_ttl


def test_list_is_newest_first_and_get_unknown_is_none(job_queue, data_dir):
    dataset_id = write_dataset(data_dir)
    ids = [job_queue.enqueue(tiny_config(dataset_id, seed=i))["id"] for i in range(3)]

    assert [v["id"] for v in job_queue.list()] == ids[::-1]
    assert job_queue.get("0" * 32) is None
    assert job_queue.get("../etc/passwd") is None
    assert job_queue.cancel("0" * 32) is None


def test_jobs_of_other_queues_are_invisible(job_queue, settings, data_dir):
    from worker.queue import JobQueue

    other = JobQueue(job_queue.conn, settings.model_copy(update={"queue_name": settings.queue_name + "-other"}))
    job = other.enqueue(tiny_config(write_dataset(data_dir)))

    assert job_queue.get(job["id"]) is None and job_queue.list() == []


def test_cancel_queued_job(job_queue, data_dir):
    dataset_id = write_dataset(data_dir)
    job = job_queue.enqueue(tiny_config(dataset_id))
    kept = job_queue.enqueue(tiny_config(dataset_id, seed=1))
    assert sorted(job_queue.active_jobs_for_dataset(dataset_id)) == sorted([job["id"], kept["id"]])

    view = job_queue.cancel(job["id"])

    assert view["status"] == "canceled" and view["finished_at"] and view["error"] is None
    assert job_queue.queue.get_job_ids() == [kept["id"]]
    assert job_queue.cancel(job["id"]) == view  # idempotent
    assert job_queue.active_jobs_for_dataset(dataset_id) == [kept["id"]]
    assert job_queue.active_jobs_for_dataset("other") == []


def test_active_jobs_for_model(job_queue, data_dir):
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir), base_model_id="base-a"))

    assert job_queue.active_jobs_for_model("base-a") == [job["id"]]
    assert job_queue.active_jobs_for_model("base-b") == []


def test_expired_jobs_leave_the_list(job_queue, data_dir):
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    job_queue.queue.fetch_job(job["id"]).delete()

    assert job_queue.list() == []
    assert job_queue.conn.zcard(f"transfergen:jobs:{job_queue.settings.queue_name}") == 0


def test_ping(job_queue):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from worker.queue import JobQueue

    assert job_queue.ping() is True
    nowhere = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))  # redis-py retries ~3 s by default
    dead = JobQueue(nowhere, job_queue.settings)
    assert dead.ping() is False
