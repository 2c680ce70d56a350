"""GET /v1/models/{id}/samples.png: the sample grid saved with a model."""
from __future__ import annotations

from models import storage
from tests.app.factories import assert_error, decode_png, image_bytes, write_model_card


def test_samples_with_etag(client, data_dir):
    folder = write_model_card(data_dir, "mine")
    png = image_bytes(size=(34, 34))
    (folder / storage.SAMPLES_FILE).write_bytes(png)
    response = client.get("/v1/models/mine/samples.png")
    assert response.status_code == 200 and response.content == png
    assert response.headers["content-type"] == "image/png"
    etag = response.headers["etag"]
    assert client.get("/v1/models/mine/samples.png", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/v1/models/mine/samples.png", headers={"If-None-Match": '"other"'}).status_code == 200


def test_shipped_base_has_samples(client):
    response = client.get("/v1/models/emoji64-gan/samples.png")
    assert response.status_code == 200 and decode_png(response.content).width > 64


def test_missing_samples_and_unknown_model(client, data_dir):
    write_model_card(data_dir, "bare")
    assert_error(client.get("/v1/models/bare/samples.png"), 404, "samples_not_found")
    assert_error(client.get("/v1/models/nope/samples.png"), 404, "model_not_found")
