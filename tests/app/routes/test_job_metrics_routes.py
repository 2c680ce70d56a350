"""GET /v1/jobs/{id}/metrics: the run's metrics.jsonl as JSON, from the run folder or, once published, the model."""
from __future__ import annotations

import json

from models import storage
from tests.app.factories import assert_error
from tests.utils.datasets import write_dataset
from tests.utils.training import tiny_config

LOSS_ROWS = [
    {"step": 10, "g_loss": 1.5, "d_loss": 0.7, "d_real": 0.2, "d_fake": -0.1, "augment_p": None},
    {"event": "evaluation", "step": 20, "kid_mean": 0.12, "kid_std": 0.01, "reference": "val"},
    {"step": 20, "g_loss": 1.25, "d_loss": 0.75, "d_real": float("nan"), "d_fake": float("nan"), "augment_p": None},
]


def queue_job(client, data_dir) -> str:
    body = tiny_config(write_dataset(data_dir)).model_dump(mode="json")
    return client.post("/v1/jobs", json=body).json()["id"]


def write_log(folder, rows, tail: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row) + "\n" for row in rows) + tail
    (folder / storage.METRICS_FILE).write_text(text, encoding="utf-8")


def test_empty_until_rows_are_written_then_filtered_by_step(client, data_dir):
    job_id = queue_job(client, data_dir)
    assert client.get(f"/v1/jobs/{job_id}/metrics").json() == []
    write_log(client.app.state.queue.store.run_dir(job_id), LOSS_ROWS, tail='{"step": 30, "g_lo')  # a half-written line

    rows = client.get(f"/v1/jobs/{job_id}/metrics").json()
    assert rows[0] == {"step": 10, "g_loss": 1.5, "d_loss": 0.7, "d_real": 0.2, "d_fake": -0.1, "augment_p": None}
    assert rows[1] == {"event": "evaluation", "step": 20, "kid_mean": 0.12, "kid_std": 0.01, "reference": "val"}
    assert rows[2]["d_real"] is None and rows[2]["d_fake"] is None  # NaN is not JSON
    assert len(rows) == 3
    later = client.get(f"/v1/jobs/{job_id}/metrics", params={"after_step": 10}).json()
    assert [row["step"] for row in later] == [20, 20]


def test_a_succeeded_job_reads_its_model_folder(client, data_dir):
    job_id = queue_job(client, data_dir)
    store = client.app.state.queue.store  # the job records on disk
    for status in ("running", "succeeded"):
        with store.transaction(job_id) as txn:
            txn.set_status(status)
            txn.record.model_id = "m1"
    write_log(storage.models_root(data_dir) / "m1", LOSS_ROWS[:1])  # the run folder was moved there
    assert [row["step"] for row in client.get(f"/v1/jobs/{job_id}/metrics").json()] == [10]


def test_errors(client, data_dir):
    assert_error(client.get("/v1/jobs/0123456789abcdef/metrics"), 404, "job_not_found")
    assert_error(client.get("/v1/jobs/bad!id/metrics"), 404, "job_not_found")
    job_id = queue_job(client, data_dir)
    assert_error(client.get(f"/v1/jobs/{job_id}/metrics", params={"after_step": -1}), 422, "validation_error")
