"""Every failure has the error shape: unknown routes, wrong methods, validation, crashes; plus CORS and docs."""
from __future__ import annotations

import pytest

from tests.app.factories import assert_error


def test_unknown_route_and_wrong_method(client):
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    response = client.patch("/v1/datasets")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_validation_error_carries_pydantic_details(client):
    error = assert_error(client.post("/v1/jobs", json={"dataset_id": "d", "steps": "many"}), 422, "validation_error")
    assert {"type": "int_parsing", "loc": ["body", "steps"]}.items() <= error["details"][0].items()


def test_unexpected_exception_is_a_500_without_internals(make_client):
    client = make_client(raise_server_exceptions=False)

    @client.app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    error = assert_error(client.get("/boom"), 500, "internal_error")
    assert "secret" not in error["message"]


def test_cors_origins_from_settings(make_client):
    client = make_client(cors_origins=["https://ui.example"])
    allowed = client.get("/healthz", headers={"Origin": "https://ui.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://ui.example"
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_preflight_refusal_has_the_error_shape(make_client):
    """Defect 10: Starlette answers a refused preflight in text/plain."""
    client = make_client(cors_origins=["https://ui.example"])
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    response = client.options("/v1/jobs", headers=headers)
    assert response.headers["content-type"] == "application/json"
    assert_error(response, 400, "cors_refused")
    allowed = client.options("/v1/jobs", headers={**headers, "Origin": "https://ui.example"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://ui.example"


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/datasets", "/v1/jobs", "/v1/models/{model_id}/images/{seed}.png", "/readyz"} <= set(paths)
    upload = paths["/v1/datasets"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "files", "resolution", "val_fraction", "seed", "name"} <= set(upload["properties"])


NON_FINITE_BODIES = [
    ('{"dataset_id": "d", "learning_rate": NaN}', "learning_rate"),
    ('{"dataset_id": "d", "r1_gamma": Infinity}', "r1_gamma"),
    ('{"dataset_id": "d", "vae_beta": -Infinity}', "vae_beta"),
    ('{"dataset_id": "d", "ada_target": NaN}', "ada_target"),
]


@pytest.mark.parametrize("body, field", NON_FINITE_BODIES)
def test_nan_and_infinity_are_422_not_500(make_client, body, field):
    """Defect 6: the error used to echo NaN, which JSONResponse cannot render (a 500)."""
    client = make_client(raise_server_exceptions=False)
    response = client.post("/v1/jobs", content=body, headers={"content-type": "application/json"})
    error = assert_error(response, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", field]
    assert isinstance(error["details"][0]["input"], str)


def test_nan_truncation_in_image_batch_is_422(make_client):
    client = make_client(raise_server_exceptions=False)
    response = client.post("/v1/models/emoji64-gan/images", content='{"seeds": [1], "truncation": NaN}',
                           headers={"content-type": "application/json"})
    assert_error(response, 422, "validation_error")
