"""JobQueue without a worker: enqueue, read, list, cancel while queued, queue positions, previews."""
from __future__ import annotations

import re

from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config

VIEW_KEYS = {"id", "status", "config", "progress", "queue_position", "model_id", "error", "cancel_requested",
             "resuming", "attempts", "webhook_url", "owner", "created_at", "started_at", "updated_at", "finished_at"}


def test_enqueue_returns_a_queued_view(job_queue, data_dir, settings):
    dataset_id = write_dataset(data_dir)
    view = job_queue.enqueue(tiny_config(dataset_id))

    assert set(view.model_dump()) == VIEW_KEYS
    assert re.fullmatch(r"[0-9a-f]{32}", view.id)
    assert view.status == "queued" and view.config["dataset_id"] == dataset_id
    assert view.progress is view.model_id is view.error is view.started_at is None
    assert view.queue_position == 1
    assert view.created_at.endswith("+00:00")
    assert job_queue.get(view.id) == view
    job = job_queue.queue.fetch_job(view.id)
    assert job.timeout == settings.job_timeout and job.result_ttl == settings.result_ttl
    assert (data_dir / "jobs" / view.id / "job.json").is_file()  # the record lives on disk
    assert [e.type for e in job_queue.events(view.id)] == ["queued"]


def test_list_is_newest_first_with_queue_positions(job_queue, data_dir):
    dataset_id = write_dataset(data_dir)
    ids = [job_queue.enqueue(tiny_config(dataset_id, seed=i)).id for i in range(3)]

    views = job_queue.list()
    assert [v.id for v in views] == ids[::-1]
    assert [v.queue_position for v in views] == [3, 2, 1]
    assert job_queue.get("0" * 32) is None
    assert job_queue.get("../etc/passwd") is None
    assert job_queue.cancel("0" * 32) is None
    assert job_queue.events("0" * 32) is None


def test_jobs_of_other_queues_are_invisible(job_queue, settings, data_dir):
    from jobs.queue import JobQueue

    other = JobQueue(job_queue.conn, settings.model_copy(update={"queue_name": settings.queue_name + "-other"}))
    job = other.enqueue(tiny_config(write_dataset(data_dir)))

    assert job_queue.get(job.id) is None and job_queue.list() == []
    other.queue.empty()


def test_cancel_queued_job(job_queue, data_dir):
    dataset_id = write_dataset(data_dir)
    job = job_queue.enqueue(tiny_config(dataset_id))
    kept = job_queue.enqueue(tiny_config(dataset_id, seed=1))
    assert sorted(job_queue.active_jobs_for_dataset(dataset_id)) == sorted([job.id, kept.id])

    view = job_queue.cancel(job.id)

    assert view.status == "canceled" and view.finished_at and view.error is None
    assert view.queue_position is None
    assert job_queue.queue.get_job_ids() == [kept.id]
    assert job_queue.get(kept.id).queue_position == 1
    assert job_queue.cancel(job.id) == view  # idempotent
    assert job_queue.active_jobs_for_dataset(dataset_id) == [kept.id]
    assert job_queue.active_jobs_for_dataset("other") == []
    events = job_queue.events(job.id)
    assert [(e.type, e.status) for e in events] == [("queued", None), ("canceled", "canceled")]


def test_active_jobs_for_model(job_queue, data_dir):
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir), base_model_id="base-a"))

    assert job_queue.active_jobs_for_model("base-a") == [job.id]
    assert job_queue.active_jobs_for_model("base-b") == []


def test_views_answer_from_disk_when_redis_forgot_the_job(job_queue, data_dir):
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    job_queue.queue.fetch_job(job.id).delete()  # as after a flush

    view = job_queue.get(job.id)
    assert view.status == "queued" and view.queue_position is None
    assert [v.id for v in job_queue.list()] == [job.id]


def test_preview_path(job_queue, data_dir):
    job = job_queue.enqueue(tiny_config(write_dataset(data_dir)))
    assert job_queue.preview_path(job.id) is None
    run = job_queue.store.run_dir(job.id)
    run.mkdir()
    (run / "preview.png").write_bytes(b"png")
    assert job_queue.preview_path(job.id) == run / "preview.png"


def test_ping(job_queue):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from jobs.queue import JobQueue

    assert job_queue.ping() is True
    nowhere = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))  # redis-py retries ~3 s by default
    dead = JobQueue(nowhere, job_queue.settings)
    assert dead.ping() is False


def test_the_owner_is_on_the_record_and_in_the_run_folder(job_queue, data_dir):
    from jobs.ownership import read_owner

    view = job_queue.enqueue(tiny_config(write_dataset(data_dir)), owner="k1")
    assert view.owner == "k1" and job_queue.record(view.id).owner == "k1"
    assert read_owner(job_queue.store.run_dir(view.id)) == "k1"  # the model's folder once it succeeds
