"""Every failure has the error shape: unknown routes, wrong methods, validation, crashes; plus CORS and docs."""
from __future__ import annotations

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


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/datasets", "/v1/jobs", "/v1/models/{model_id}/images/{seed}.png", "/readyz"} <= set(paths)
    upload = paths["/v1/datasets"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "files", "resolution", "val_fraction", "seed", "name"} <= set(upload["properties"])
