"""Upload -> train (real worker process) -> model -> images, all through HTTP on create_app."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.app.factories import decode_png, upload_zip, zip_bytes
from tests.utils.datasets import _blob_image
from tests.utils.training import tiny_config
from tests.utils.waiting import wait_for

pytestmark = pytest.mark.slow  # a real worker process, two training jobs

JOB_TIMEOUT_S = 150  # two tiny jobs; each work horse imports TensorFlow on a busy 2-core machine


def blob_zip(count: int) -> bytes:
    """16x16 discs, the kind of images the tiny GAN is built for."""
    rng = np.random.default_rng(0)
    members = {}
    for index in range(count):
        buffer = io.BytesIO()
        Image.fromarray(_blob_image(rng, 16)).save(buffer, "PNG")
        members[f"blobs/{index:02d}.png"] = buffer.getvalue()
    return zip_bytes(members)


def job_body(dataset_id: str, base_model_id: str | None) -> dict:
    return tiny_config(dataset_id, base_model_id=base_model_id, steps=3).model_dump(mode="json")


def wait_until_succeeded(client, job_id: str, worker_log: Path) -> dict:
    def finished():
        job = client.get(f"/v1/jobs/{job_id}").json()
        return job if job["status"] in {"succeeded", "failed", "canceled"} else None

    job = wait_for(finished, timeout=JOB_TIMEOUT_S, interval=0.5, what=f"job {job_id}")
    log_tail = worker_log.read_text()[-4000:]
    assert job["status"] == "succeeded", f"{job['status']}: {job['error']}\nworker log:\n{log_tail}"
    return job


@pytest.mark.timeout(JOB_TIMEOUT_S + 120)
def test_upload_train_and_serve_images(make_client, tiny_base_model, worker_process, tmp_path):
    worker_log = tmp_path / "worker.log"  # written by the worker_process fixture
    client = make_client()
    dataset = upload_zip(client, blob_zip(8), resolution="16").json()
    assert (dataset["num_images"], dataset["num_train"]) == (8, 8)

    # Both jobs queued at once: the worker runs them back to back while we wait.
    fine_tune = client.post("/v1/jobs", json=job_body(dataset["id"], base_model_id=tiny_base_model))
    scratch = client.post("/v1/jobs", json=job_body(dataset["id"], base_model_id=None))
    assert fine_tune.status_code == scratch.status_code == 202, (fine_tune.text, scratch.text)

    job = wait_until_succeeded(client, fine_tune.json()["id"], worker_log)
    assert job["progress"]["fraction"] == 1.0
    model = client.get(f"/v1/models/{job['model_id']}").json()
    assert (model["parent_id"], model["dataset_id"], model["job_id"]) == (tiny_base_model, dataset["id"], job["id"])
    assert model["resolution"] == 16 and model["deletable"] is True

    url = f"/v1/models/{job['model_id']}/images"
    first, again, other = (client.get(f"{url}/{seed}.png") for seed in (11, 11, 12))
    assert first.status_code == 200, first.text
    assert decode_png(first.content).size == (16, 16)
    assert first.content == again.content and first.content != other.content
    etag = first.headers["etag"]
    assert client.get(f"{url}/11.png", headers={"If-None-Match": etag}).status_code == 304

    restarted = make_client()  # a second app instance: loads the generator afresh
    from_restart = restarted.get(f"{url}/11.png")
    assert from_restart.content == first.content and from_restart.headers["etag"] == etag

    job = wait_until_succeeded(client, scratch.json()["id"], worker_log)
    model = client.get(f"/v1/models/{job['model_id']}").json()
    assert model["parent_id"] is None and model["resolution"] == 16
    image = client.get(f"/v1/models/{job['model_id']}/images/0.png")
    assert image.status_code == 200 and decode_png(image.content).size == (16, 16)

    assert client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204  # no job uses it any more
