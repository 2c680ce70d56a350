"""Defect 4: every JSON route has a body cap (MAX_JSON_BYTES, 413 in the error shape), and a
validation error never echoes more than a short prefix of the input."""
from __future__ import annotations

import json

import pytest

from app.errors import MAX_ECHO_CHARS, MAX_VALIDATION_ERRORS
from tests.app.factories import assert_error

LIMIT = 4096


@pytest.fixture
def limited(make_client):
    return make_client(max_json_bytes=LIMIT)


@pytest.mark.parametrize("path", ["/v1/jobs", "/v1/models/emoji64-gan/images", "/v1/jobs/x/cancel"])
def test_declared_length_over_the_cap_is_413_before_reading(limited, path):
    body = json.dumps({"dataset_id": "a" * (LIMIT * 4)})
    error = assert_error(limited.post(path, content=body, headers={"content-type": "application/json"}),
                         413, "too_large")
    assert error["details"] == {"max_bytes": LIMIT}


def test_chunked_body_over_the_cap_is_413(limited):
    def chunks():  # no Content-Length: the cap counts what arrives
        yield b'{"seeds": ['
        for _ in range(LIMIT // 8):
            yield b"1,2,3,4,"
        yield b"5]}"

    response = limited.post("/v1/models/emoji64-gan/images", content=chunks(),
                            headers={"content-type": "application/json"})
    assert_error(response, 413, "too_large")


def test_body_under_the_cap_still_works(limited):
    response = limited.post("/v1/jobs", json={"dataset_id": "nope-" * 10})
    assert response.status_code == 422


def test_upload_route_keeps_its_own_larger_cap(limited):
    response = limited.post("/v1/datasets", files={"file": ("x.zip", b"x" * (LIMIT * 2), "application/zip")})
    assert response.status_code == 422  # read and refused as "not a zip", not 413 by the JSON cap


def test_validation_error_echoes_a_short_prefix(make_client):
    client = make_client()
    huge = "z" * 500_000
    response = client.post("/v1/jobs", json={"dataset_id": huge, huge: 1})
    error = assert_error(response, 422, "validation_error")
    assert len(response.content) < 4000
    for detail in error["details"]:
        for value in [detail.get("input"), *detail["loc"]]:
            assert not isinstance(value, str) or len(value) <= MAX_ECHO_CHARS + 3


def test_many_invalid_items_are_not_all_listed(client):
    response = client.post("/v1/models/emoji64-gan/images", json={"seeds": [-1] * 4000})
    error = assert_error(response, 422, "validation_error")
    assert len(error["details"]) <= MAX_VALIDATION_ERRORS


def test_seed_list_is_bounded_by_the_schema(client):
    error = assert_error(client.post("/v1/models/emoji64-gan/images", json={"seeds": list(range(5000))}),
                         422, "validation_error")
    assert error["details"][0]["type"] == "too_long"


def test_image_batch_rejects_unknown_fields_like_the_job_body(client):
    error = assert_error(client.post("/v1/models/emoji64-gan/images", json={"seeds": [1], "truncaton": 0.5}),
                         422, "validation_error")
    assert error["details"][0]["type"] == "extra_forbidden"
