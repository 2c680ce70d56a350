"""Defect 13: the OpenAPI spec says what the API really answers: its error statuses in the error shape,
seeds as integers."""
from __future__ import annotations

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_lists_its_errors_in_the_error_shape(client):
    spec = client.get("/openapi.json").json()
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        assert {"400", "401", "404", "413", "422"} <= set(responses), (method, path)
        for status in ("400", "404", "413", "422"):
            assert responses[status]["content"]["application/json"]["schema"] == ERROR_REF, (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's {detail: ...}, never sent


def test_conflicts_and_media_types_where_they_happen(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "409" in paths["/v1/datasets/{dataset_id}"]["delete"]["responses"]
    assert "409" in paths["/v1/models/{model_id}"]["delete"]["responses"]
    assert "415" in paths["/v1/datasets"]["post"]["responses"]
    assert "403" in paths["/v1/keys"]["post"]["responses"]
    assert "429" in paths["/v1/jobs"]["post"]["responses"] and "429" in paths["/v1/datasets"]["post"]["responses"]


def test_seeds_are_integers(client):
    paths = client.get("/openapi.json").json()["paths"]
    [seed] = [p for p in paths["/v1/models/{model_id}/images/{seed}.png"]["get"]["parameters"] if p["name"] == "seed"]
    assert seed["schema"]["type"] == "integer" and seed["schema"]["maximum"] == 2**32 - 1
    for name in ("from", "to"):
        [param] = [p for p in paths["/v1/models/{model_id}/interpolate.gif"]["get"]["parameters"] if p["name"] == name]
        assert param["schema"]["type"] == "integer"


def test_image_batch_body_forbids_unknown_fields_in_the_schema(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ImageBatchRequest"]["additionalProperties"] is False
    assert schemas["ImageBatchRequest"]["properties"]["seeds"]["maxItems"] == 4096
