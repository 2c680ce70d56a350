"""Rate limits (the `limits` library on Redis) and quotas of user keys: 429 with Retry-After in the
API's error shape; admin keys are not limited."""
from __future__ import annotations

import pytest

from tests.app.factories import assert_error, zip_of_pngs
from tests.utils.training import tiny_config


@pytest.fixture
def limited(make_client, secured):
    """make_limited(**settings) -> a client over the secured server with these limits."""
    return lambda **overrides: make_client(**overrides)


def assert_429(response, code: str) -> dict:
    error = assert_error(response, 429, code)
    retry = int(response.headers["retry-after"])
    assert retry >= 1 and error["details"]["retry_after_s"] == retry
    return error


def _upload(client, headers):
    return client.post("/v1/datasets", headers=headers, files={"file": ("s.zip", zip_of_pngs(4), "application/zip")})


def test_uploads_per_key(limited, secured):
    client = limited(rate_limit_uploads="2/minute")
    assert [_upload(client, secured.alice).status_code for _ in range(2)] == [201, 201]
    error = assert_429(_upload(client, secured.alice), "rate_limited")
    assert error["details"]["limit"] == "2 per 1 minute" and int(error["details"]["retry_after_s"]) <= 60
    assert _upload(client, secured.bob).status_code == 201  # per key
    assert [_upload(client, secured.admin).status_code for _ in range(3)] == [201] * 3  # admins: none


def test_job_creation_per_key(limited, secured):
    client = limited(rate_limit_jobs="1/minute", max_active_jobs_per_key=10)
    body = tiny_config(secured.ids["dataset_for_jobs"]).model_dump(mode="json")
    assert client.post("/v1/jobs", headers=secured.alice, json=body).status_code == 202
    assert_429(client.post("/v1/jobs", headers=secured.alice, json=body), "rate_limited")


def test_uncached_images_count_and_cached_ones_are_free(limited, secured):
    client = limited(rate_limit_images="3/minute")
    model = secured.ids["model"]
    get = lambda seed: client.get(f"/v1/models/{model}/images/{seed}.png", headers=secured.alice)  # noqa: E731
    assert [get(seed).status_code for seed in (1, 2, 3)] == [200] * 3
    assert_429(get(4), "rate_limited")
    assert [get(seed).status_code for seed in (1, 2, 3, 1)] == [200] * 4  # cached: no generator work
    grid = client.get(f"/v1/models/{model}/grid.png?start=10&count=4", headers=secured.alice)
    assert_429(grid, "rate_limited")
    assert client.get(f"/v1/models/{model}/images/4.png", headers=secured.admin).status_code == 200


def test_active_jobs_and_their_steps(limited, secured):
    client = limited(rate_limit_jobs="100/second", max_active_jobs_per_key=2, max_active_steps_per_key=12)
    body = tiny_config(secured.ids["dataset_for_jobs"]).model_dump(mode="json")  # 5 steps; alice has one queued
    assert_429(client.post("/v1/jobs", headers=secured.alice, json={**body, "steps": 8}), "steps_quota")
    assert client.post("/v1/jobs", headers=secured.alice, json=body).status_code == 202
    assert_429(client.post("/v1/jobs", headers=secured.alice, json=body), "job_quota")
    job_id = client.get("/v1/jobs", headers=secured.alice).json()[0]["id"]
    assert client.post(f"/v1/jobs/{job_id}/cancel", headers=secured.alice).status_code == 200
    assert client.post("/v1/jobs", headers=secured.alice, json=body).status_code == 202  # a slot freed
    assert client.post("/v1/jobs", headers=secured.admin, json=body).status_code == 202


@pytest.mark.parametrize(("field", "setting"), [("batch_size", "max_job_batch_size"),
                                                ("base_channels", "max_job_base_channels"),
                                                ("steps", "max_active_steps_per_key")])  # alone over it: 422
def test_ceilings_are_422(limited, secured, field, setting):
    client = limited(**{setting: 8})
    body = {**tiny_config(secured.ids["dataset_for_jobs"]).model_dump(mode="json"), field: 16}
    error = assert_error(client.post("/v1/jobs", headers=secured.alice, json=body), 422, "over_limit")
    assert error["details"] == {"field": field, "max": 8}


def test_stored_bytes(limited, secured):
    client = limited(max_stored_bytes_per_key=1, rate_limit_uploads="100/second")
    assert_429(_upload(client, secured.alice), "storage_quota")  # alice's datasets and models fill it
    body = tiny_config(secured.ids["dataset_for_jobs"]).model_dump(mode="json")
    assert_429(client.post("/v1/jobs", headers=secured.alice, json=body), "storage_quota")
    assert _upload(client, secured.bob).status_code == 201  # bob stores nothing yet
    assert_429(_upload(client, secured.bob), "storage_quota")


def test_bad_rate_limit_settings_fail_at_start(make_client):
    with pytest.raises(ValueError):
        make_client(rate_limit_images="lots")
