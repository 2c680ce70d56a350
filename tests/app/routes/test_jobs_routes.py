"""POST/GET /v1/jobs: checks before enqueueing, job views, cancel. No worker runs here: jobs stay queued."""
from __future__ import annotations

import pytest

from models import storage
from tests.app.factories import assert_error, write_model_card
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config


def job_body(dataset_id: str, **overrides) -> dict:
    return tiny_config(dataset_id, **overrides).model_dump(mode="json")


def test_create_get_list_cancel(client, data_dir):
    dataset_id = write_dataset(data_dir)
    base_id = write_model_card(data_dir, "base16").name
    response = client.post("/v1/jobs", json=job_body(dataset_id, base_model_id=base_id))
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] == "queued" and job["config"]["base_model_id"] == base_id
    view_fields = {"id", "status", "config", "progress", "model_id", "error", "created_at", "started_at", "finished_at"}
    assert view_fields <= set(job)
    assert client.get(f"/v1/jobs/{job['id']}").json()["id"] == job["id"]
    second = client.post("/v1/jobs", json=job_body(dataset_id)).json()  # from scratch
    assert [j["id"] for j in client.get("/v1/jobs").json()] == [second["id"], job["id"]]
    canceled = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert client.post(f"/v1/jobs/{job['id']}/cancel").json()["status"] == "canceled"  # idempotent


@pytest.mark.parametrize(
    ("make_body", "code"),
    [
        (lambda d, m: job_body("0123456789abcdef"), "unknown_dataset"),
        (lambda d, m: job_body(d, base_model_id="no-such-model"), "unknown_base_model"),
        (lambda d, m: job_body(d, base_model_id=m), "resolution_mismatch"),
        (lambda d, m: {**job_body(d), "learning_rat": 0.1}, "validation_error"),
        (lambda d, m: {**job_body(d), "steps": 0}, "validation_error"),
        (lambda d, m: {**job_body(d), "method": "freeze_d"}, "validation_error"),  # freeze_d needs a base
        (lambda d, m: {"steps": 5}, "validation_error"),
        (lambda d, m: {**job_body(d), "dataset_id": "../etc"}, "validation_error"),
    ],
    ids=["unknown-dataset", "unknown-base", "resolution-mismatch", "extra-field", "bad-steps", "freeze-d-from-scratch",
         "no-dataset", "path-as-id"],
)
def test_invalid_jobs_are_422_and_nothing_is_queued(client, data_dir, make_body, code):
    dataset_id = write_dataset(data_dir, resolution=16)
    model_id = write_model_card(data_dir, "base32", resolution=32).name
    error = assert_error(client.post("/v1/jobs", json=make_body(dataset_id, model_id)), 422, code)
    if code == "resolution_mismatch":
        assert "16x16" in error["message"] and "32x32" in error["message"]
        assert error["details"] == {"dataset_resolution": 16, "base_model_resolution": 32}
    assert client.get("/v1/jobs").json() == []


def _bases(data_dir) -> dict[str, str]:
    """16x16 stand-in bases (no TensorFlow): a GAN, a VAE, a GAN with a projected D, one that cannot be fine-tuned."""
    untrainable = write_model_card(data_dir, "no-d16")
    (untrainable / storage.DISCRIMINATOR_FILE).unlink()
    return {"gan": write_model_card(data_dir, "gan16", architecture="dcgan").name,
            "vae": write_model_card(data_dir, "vae16", family="vae").name,
            "projected": write_model_card(data_dir, "proj16", discriminator="projected").name,
            "untrainable": untrainable.name}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"base": "vae", "method": "freeze_d"}, "not_applicable"),  # FreezeD freezes D blocks: a VAE has none
        ({"base": "gan", "method": "freeze_encoder"}, "not_applicable"),
        # its D is projected: a standard D cannot load it (unset, preset "auto" keeps the base's kind)
        ({"base": "projected", "discriminator": "standard"}, "not_applicable"),
        ({"family": "vae", "discriminator": "projected"}, "not_applicable"),
        ({"base": "untrainable"}, "base_not_trainable"),
        ({"base": "gan", "latent_dim": 32}, "from_scratch_only"),
        ({"base": "gan", "architecture": "lite", "base_channels": 64}, "from_scratch_only"),
        ({"base": "vae", "family": "gan"}, "from_scratch_only"),
    ],
    ids=["freeze-d-on-vae", "freeze-encoder-on-gan", "standard-d-on-projected", "projected-vae", "no-discriminator",
         "latent-dim", "architecture", "family"],
)
def test_what_the_trainer_would_refuse_is_422(client, data_dir, body, code):
    bases = _bases(data_dir)
    request = {"dataset_id": write_dataset(data_dir), "steps": 5, **{k: v for k, v in body.items() if k != "base"}}
    if "base" in body:
        request["base_model_id"] = bases[body["base"]]
    error = assert_error(client.post("/v1/jobs", json=request), 422, code)
    if code == "from_scratch_only":
        assert set(error["details"]) == set(body) - {"base", "base_channels"}  # base_channels: not on the card
        assert "only apply when training from scratch" in error["message"]
    assert client.get("/v1/jobs").json() == []


def test_a_fine_tune_inherits_the_networks_shape_from_its_base(client, data_dir):
    base = _bases(data_dir)["gan"]
    dataset_id = write_dataset(data_dir)
    same = {"dataset_id": dataset_id, "base_model_id": base, "latent_dim": 8, "family": "gan"}  # the base's values
    job = client.post("/v1/jobs", json=same).json()
    assert job["status"] == "queued"
    assert (job["config"]["architecture"], job["config"]["latent_dim"]) == ("dcgan", 8)  # from the base's card
    assert job["config"]["base_channels"] == 128  # the base records none: the default stays


def test_too_few_training_images(client, data_dir):
    dataset_id = write_dataset(data_dir, num_train=1, num_val=0)
    assert_error(client.post("/v1/jobs", json=job_body(dataset_id)), 422, "too_few_images")
    assert client.get("/v1/jobs").json() == []


def test_wrong_method_and_body_type(client):
    assert_error(client.put("/v1/jobs"), 405, "method_not_allowed")
    assert_error(client.post("/v1/jobs", content=b"not json", headers={"content-type": "application/json"}),
                 422, "validation_error")


@pytest.mark.parametrize("path", ["/v1/jobs/0123456789abcdef", "/v1/jobs/bad!id"])
def test_unknown_job_is_404(client, path):
    assert_error(client.get(path), 404, "job_not_found")
    assert_error(client.post(f"{path}/cancel"), 404, "job_not_found")


def _sse(text: str) -> list[dict]:
    """Parse a Server-Sent Events body into [{"id", "event", "data"}] (comments and retry dropped)."""
    import json

    messages = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "data" in fields:
            messages.append({"id": fields.get("id"), "event": fields.get("event"), "data": json.loads(fields["data"])})
    return messages


def test_events_log_and_stream(client, data_dir):
    job = client.post("/v1/jobs", json=job_body(write_dataset(data_dir))).json()
    client.post(f"/v1/jobs/{job['id']}/cancel")

    events = client.get(f"/v1/jobs/{job['id']}/events").json()
    assert [(e["seq"], e["type"], e.get("status")) for e in events] == [(1, "queued", None), (2, "canceled", "canceled")]
    assert all(e["time"] and e["message"] for e in events)
    assert [e["seq"] for e in client.get(f"/v1/jobs/{job['id']}/events?after=1").json()] == [2]

    response = client.get(f"/v1/jobs/{job['id']}/events?stream=true")  # a finished job: the stream ends
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    messages = _sse(response.text)
    assert [(m["id"], m["event"]) for m in messages] == [("1", "queued"), ("2", "canceled"), (None, "progress")]
    assert messages[-1]["data"]["status"] == "canceled"

    again = _sse(client.get(f"/v1/jobs/{job['id']}/events?stream=true", headers={"Last-Event-ID": "1"}).text)
    assert [m["event"] for m in again] == ["canceled", "progress"]
    assert_error(client.get("/v1/jobs/0123456789abcdef/events"), 404, "job_not_found")


def test_preview_is_404_until_the_first_one_then_cached_by_etag(client, data_dir):
    from jobs.store import JobStore

    job = client.post("/v1/jobs", json=job_body(write_dataset(data_dir))).json()
    assert_error(client.get(f"/v1/jobs/{job['id']}/preview.png"), 404, "preview_not_found")
    run = JobStore(data_dir).run_dir(job["id"])
    run.mkdir(exist_ok=True)  # the queue made it, with owner.json in it
    (run / "preview.png").write_bytes(b"\x89PNG first")

    response = client.get(f"/v1/jobs/{job['id']}/preview.png")
    assert response.status_code == 200 and response.content == b"\x89PNG first"
    assert response.headers["content-type"] == "image/png" and response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    assert client.get(f"/v1/jobs/{job['id']}/preview.png", headers={"If-None-Match": etag}).status_code == 304
    (run / "preview.png").write_bytes(b"\x89PNG second")
    assert client.get(f"/v1/jobs/{job['id']}/preview.png", headers={"If-None-Match": etag}).status_code == 200
    assert_error(client.get("/v1/jobs/0123456789abcdef/preview.png"), 404, "job_not_found")


def test_webhook_url_needs_a_secret_and_stays_out_of_the_config(make_client, data_dir):
    dataset_id = write_dataset(data_dir)
    body = {**job_body(dataset_id), "webhook_url": "https://hooks.example.com/transfergen", "webhook_progress": True}

    assert_error(make_client().post("/v1/jobs", json=body), 422, "webhooks_disabled")
    client = make_client(webhook_secret="s3cret")
    assert_error(client.post("/v1/jobs", json={**body, "webhook_url": "ftp://x"}), 422, "validation_error")
    job = client.post("/v1/jobs", json=body).json()

    assert job["webhook_url"] == "https://hooks.example.com/transfergen"
    assert "webhook_url" not in job["config"] and job["config"] == job_body(dataset_id)


def test_queue_positions(client, data_dir):
    dataset_id = write_dataset(data_dir)
    first, second = (client.post("/v1/jobs", json=job_body(dataset_id, seed=i)).json() for i in range(2))
    assert (first["queue_position"], second["queue_position"]) == (1, 2)
    client.post(f"/v1/jobs/{first['id']}/cancel")
    assert client.get(f"/v1/jobs/{second['id']}").json()["queue_position"] == 1


INTERNAL_WEBHOOKS = ["http://127.0.0.1:9/x", "http://2130706433:9/x", "http://169.254.169.254/",
                     "http://[::ffff:10.0.0.1]/x", "http://localhost:9/x"]


def test_webhook_to_an_internal_address_is_refused(make_client, data_dir):
    client = make_client(webhook_secret="s3cret")
    body = job_body(write_dataset(data_dir))
    for url in INTERNAL_WEBHOOKS:
        assert_error(client.post("/v1/jobs", json={**body, "webhook_url": url}), 422, "webhook_url_not_allowed")
    allowed = make_client(webhook_secret="s3cret", webhook_allowed_hosts=["127.0.0.1"])
    assert allowed.post("/v1/jobs", json={**body, "webhook_url": "http://127.0.0.1:9/x"}).status_code == 202
