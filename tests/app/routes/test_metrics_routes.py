"""GET /metrics: Prometheus text with requests by route, batch sizes, cache lookups and jobs by status."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from app import generation
from tests.app.factories import fake_loader, write_model_card

IMAGE_ROUTE = "get_image"  # the endpoint function's name


def samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text) for sample in family.samples
    }


def test_metrics_count_requests_batches_cache_and_jobs(client, data_dir, monkeypatch):
    monkeypatch.setattr(generation, "_load", fake_loader([]))
    write_model_card(data_dir, "m1")
    for seed in (1, 1, 2):
        assert client.get(f"/v1/models/m1/images/{seed}.png").status_code == 200
    client.get("/v1/models/m1/images/x.png")
    client.get("/no/such/route")

    values = samples(client)
    ok = {("method", "GET"), ("handler", IMAGE_ROUTE)}
    assert values[("transfergen_http_requests_total", frozenset(ok | {("status", "200")}))] == 3
    assert values[("transfergen_http_requests_total", frozenset(ok | {("status", "422")}))] == 1
    unmatched = {("method", "GET"), ("handler", "unmatched"), ("status", "404")}
    assert values[("transfergen_http_requests_total", frozenset(unmatched))] == 1
    assert values[("transfergen_http_request_duration_seconds_count", frozenset({("handler", IMAGE_ROUTE)}))] == 4
    assert values[("transfergen_generator_batch_size_count", frozenset())] == 2
    assert values[("transfergen_generator_batch_size_sum", frozenset())] == 2
    assert values[("transfergen_image_cache_lookups_total", frozenset({("result", "hit")}))] == 1
    assert values[("transfergen_image_cache_lookups_total", frozenset({("result", "miss")}))] == 2
    for status in ("queued", "running", "succeeded", "failed", "canceled"):
        assert values[("transfergen_jobs", frozenset({("status", status)}))] == 0


def test_jobs_by_status(client, data_dir):
    from tests.utils.datasets import write_dataset
    from tests.utils.training import tiny_config

    dataset_id = write_dataset(data_dir, num_train=4, resolution=16)
    body = tiny_config(dataset_id).model_dump(mode="json")
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    client.post("/v1/jobs", json=body)
    client.post(f"/v1/jobs/{job_id}/cancel")
    values = samples(client)
    assert values[("transfergen_jobs", frozenset({("status", "queued")}))] == 1
    assert values[("transfergen_jobs", frozenset({("status", "canceled")}))] == 1
