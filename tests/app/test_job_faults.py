"""The API with a real worker under faults: Redis flushed, the API restarted mid-job; and the job
features a frontend uses while a job runs (SSE stream, previews, webhooks)."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from jobs.embedded_redis import EmbeddedRedis
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for
from tests.utils.webhooks import WebhookReceiver, verify
from tests.utils.workers import WorkerProcess

pytestmark = pytest.mark.slow  # real worker processes and Redis servers, faults on purpose

DONE = {"succeeded", "failed", "canceled"}


def _body(dataset_id: str, **overrides) -> dict:
    return tiny_config(dataset_id, **overrides).model_dump(mode="json")


def _wait_done(client: TestClient, job_id: str, timeout: float = 180) -> dict:
    return wait_for(lambda: (view := client.get(f"/v1/jobs/{job_id}").json())["status"] in DONE and view,
                    timeout=timeout, interval=0.2, what=f"job {job_id} to finish")


@pytest.fixture
def start_worker(tmp_path):
    started = []

    def start(settings) -> WorkerProcess:
        started.append(WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def private_redis(tmp_path, settings):
    """Settings on a Redis server of this test's own (the shared one must never be flushed)."""
    server = EmbeddedRedis(tmp_path / "private-redis")
    url = server.start()
    yield settings.model_copy(update={"redis_url": url})
    server.stop()


def test_redis_flushed_while_idle_loses_nothing(private_redis, data_dir, start_worker):
    settings = Settings(**private_redis.model_dump())
    dataset_id = write_dataset(data_dir, resolution=16)
    with TestClient(create_app(settings)) as client:
        worker = start_worker(private_redis)
        done = client.post("/v1/jobs", json=_body(dataset_id, steps=3)).json()
        done = _wait_done(client, done["id"])
        worker.stop()
        waiting = client.post("/v1/jobs", json=_body(dataset_id, steps=3, seed=1)).json()

        client.app.state.queue.conn.flushall()  # or a restart of a Redis without persistence

        assert [d["id"] for d in client.get("/v1/datasets").json()] == [dataset_id]
        assert done["model_id"] in [m["id"] for m in client.get("/v1/models").json()]
        image = client.get(f"/v1/models/{done['model_id']}/images/7.png")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        jobs = {j["id"]: j for j in client.get("/v1/jobs").json()}
        assert jobs[done["id"]] == {**done, "queue_position": None}
        assert jobs[waiting["id"]]["status"] == "queued"
        assert [e["type"] for e in client.get(f"/v1/jobs/{done['id']}/events").json()][-1] == "finished"

        start_worker(private_redis)  # its sweep puts the job Redis forgot back on the queue
        view = _wait_done(client, waiting["id"])
    assert view["status"] == "succeeded", view
    assert "requeued" in [e["type"] for e in client.get(f"/v1/jobs/{waiting['id']}/events").json()]


def test_api_restart_while_a_job_runs(app_settings, data_dir, settings, start_worker):
    start_worker(settings)
    with TestClient(create_app(app_settings)) as first:
        job = first.post("/v1/jobs", json=_body(write_dataset(data_dir), steps=80, checkpoint_every=10)).json()
        wait_for(lambda: (first.get(f"/v1/jobs/{job['id']}").json()["progress"] or {}).get("step"), timeout=120,
                 what="progress")
    with TestClient(create_app(app_settings)) as second:  # a new API process
        view = _wait_done(second, job["id"])
        events = second.get(f"/v1/jobs/{job['id']}/events").json()
    assert view["status"] == "succeeded" and view["progress"]["step"] == 80
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_a_frontend_follows_a_job_without_polling(app_settings, data_dir, settings, start_worker):
    """Server-Sent Events from queued to finished, a preview while training, signed webhooks."""
    secret = "s3cret"
    api_settings = app_settings.model_copy(update={"webhook_secret": secret, "webhook_allowed_hosts": ["127.0.0.1"]})
    with WebhookReceiver() as receiver, TestClient(create_app(api_settings)) as client:
        body = {**_body(write_dataset(data_dir), steps=40, checkpoint_every=10, preview_every=10),
                "webhook_url": receiver.url, "webhook_progress": True}
        job = client.post("/v1/jobs", json=body).json()
        start_worker(settings)
        messages = []
        with client.stream("GET", f"/v1/jobs/{job['id']}/events?stream=true") as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: "):]
                elif line.startswith("data: "):
                    messages.append((event, json.loads(line[len("data: "):])))
                    if event == "checkpoint" and len([m for m in messages if m[0] == "checkpoint"]) == 1:
                        preview = client.get(f"/v1/jobs/{job['id']}/preview.png")
        wait_for(lambda: any(r["headers"].get("X-Transfergen-Event") == "job.succeeded" for r in receiver.requests),
                 timeout=30, what="the succeeded webhook")

    types = [event for event, _ in messages if event != "progress"]
    assert types[:2] == ["queued", "started"] and types[-1] == "finished"
    assert types.count("checkpoint") == 3
    steps = [data["progress"]["step"] for event, data in messages if event == "progress" and data["progress"]]
    assert steps == sorted(steps) and steps[-1] == 40
    assert messages[-1][1]["status"] == "succeeded"
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
    kinds = [r["headers"]["X-Transfergen-Event"] for r in receiver.requests]
    assert "job.progress" in kinds and kinds.count("job.succeeded") == 1
    for request in receiver.requests:
        assert verify(secret, request["headers"]["X-Transfergen-Signature"], request["body"])
    final = json.loads([r for r in receiver.requests if r["headers"]["X-Transfergen-Event"] == "job.succeeded"][0]["body"])
    assert final["id"] == job["id"] and final["status"] == "succeeded" and final["model_id"]
