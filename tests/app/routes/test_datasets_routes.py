"""POST/GET/DELETE /v1/datasets over HTTP: formats, errors and their codes, nothing left behind."""
from __future__ import annotations

import io

import pytest

from tests.app.factories import (
    assert_error,
    decode_png,
    distinct_pngs,
    image_bytes,
    leftovers,
    upload_files,
    upload_zip,
    zip_bytes,
    zip_of_pngs,
)
from tests.utils.training import tiny_config


def test_zip_upload_creates_a_split_dataset(client, data_dir):
    archive = zip_bytes({
        **{f"imgs/{i}.png": data for i, data in enumerate(distinct_pngs(12, (30, 20)))},
        "imgs/copy.png": distinct_pngs(1, (30, 20))[0],
        "imgs/readme.txt": b"hello",
        "__MACOSX/imgs/._0.png": b"resource fork",
    })
    response = upload_zip(client, archive, "emoji.zip", resolution="16", seed="3", val_fraction="0.1")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert set(dataset) == {"id", "name", "resolution", "num_images", "num_train", "num_val", "rejected",
                            "rejected_omitted", "created_at", "owner"}
    assert (dataset["name"], dataset["resolution"], dataset["num_images"]) == ("emoji", 16, 12)
    assert (dataset["num_train"], dataset["num_val"]) == (11, 1)
    assert dataset["rejected"] == [
        {"file": "imgs/copy.png", "reason": "duplicate"},
        {"file": "imgs/readme.txt", "reason": "not_an_image"},
    ]
    folder = data_dir / "datasets" / dataset["id"]
    assert len(list((folder / "train").glob("*.png"))) == 11 and len(list((folder / "val").glob("*.png"))) == 1
    assert decode_png((folder / "train" / "00000.png").read_bytes()).size == (16, 16)
    assert client.get(f"/v1/datasets/{dataset['id']}").json() == dataset
    assert leftovers(data_dir) == [folder]  # tmp/ is empty again


def test_a_small_upload_trains_on_every_image_by_default(client):
    body = upload_zip(client, zip_of_pngs(12), "few.zip").json()
    assert (body["num_images"], body["num_train"], body["num_val"]) == (12, 12, 0)


def test_several_image_files_in_every_format(client):
    files = [(f"img.{fmt.lower()}", image_bytes(fmt, (24, 24), (i * 40, 90, 200)))
             for i, fmt in enumerate(["PNG", "JPEG", "WEBP", "BMP", "GIF"])]
    response = upload_files(client, files, name="mixed", val_fraction="0")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["resolution"], body["num_images"], body["num_val"]) == ("mixed", 64, 5, 0)


def test_rgba_upload_is_composited_on_white(client, data_dir):
    from PIL import Image

    image = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 8, 16))  # left half opaque blue, right half transparent
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    dataset = upload_files(client, [("a.png", buffer.getvalue())], resolution="16").json()
    stored = decode_png((data_dir / "datasets" / dataset["id"] / "train" / "00000.png").read_bytes())
    assert stored.mode == "RGB"
    assert stored.getpixel((15, 8)) == (255, 255, 255) and stored.getpixel((0, 8)) == (0, 0, 255)


def test_a_lone_image_and_empty_form_fields_are_fine(client):
    response = client.post("/v1/datasets", files={"file": ("photo.jpg", image_bytes("JPEG"), "image/jpeg")},
                           data={"name": "", "seed": "", "resolution": "32"})
    assert response.status_code == 201, response.text
    assert (response.json()["name"], response.json()["num_images"], response.json()["resolution"]) == ("photo", 1, 32)


def test_default_resolution_comes_from_settings(make_client):
    client = make_client(default_resolution=32)
    assert upload_zip(client, zip_of_pngs(2)).json()["resolution"] == 32


def test_list_is_newest_first_and_preview_decodes(client):
    first = upload_zip(client, zip_of_pngs(3), name="first").json()
    second = upload_zip(client, zip_of_pngs(70), name="second", resolution="16").json()
    assert [d["id"] for d in client.get("/v1/datasets").json()] == [second["id"], first["id"]]
    preview = client.get(f"/v1/datasets/{second['id']}/preview.png")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    assert decode_png(preview.content).size == (8 * 18 + 2, 8 * 18 + 2)  # 64 tiles of 16 px, 2 px gaps


def test_delete(client, data_dir):
    dataset = upload_zip(client, zip_of_pngs(3)).json()
    assert client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204
    assert_error(client.get(f"/v1/datasets/{dataset['id']}"), 404, "dataset_not_found")
    assert_error(client.delete(f"/v1/datasets/{dataset['id']}"), 404, "dataset_not_found")
    assert leftovers(data_dir) == []


def test_delete_refused_while_a_job_uses_it(client):
    dataset = upload_zip(client, zip_of_pngs(4), resolution="16").json()
    body = tiny_config(dataset["id"]).model_dump(mode="json")
    job = client.post("/v1/jobs", json=body).json()  # no worker runs here: the job stays queued
    error = assert_error(client.delete(f"/v1/datasets/{dataset['id']}"), 409, "dataset_in_use")
    assert error["details"] == {"job_ids": [job["id"]]}
    client.post(f"/v1/jobs/{job['id']}/cancel")
    assert client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204


def _bomb() -> bytes:
    return zip_bytes({"zeros.png": b"\0" * 3_000_000})


def _huge_png() -> bytes:
    return image_bytes("PNG", (300, 300))


@pytest.mark.parametrize(
    ("overrides", "upload", "status", "code"),
    [
        ({}, lambda c: upload_zip(c, b"PK\x03\x04 but truncated"), 422, "invalid_archive"),
        ({}, lambda c: upload_zip(c, b"plain text", "set.zip"), 422, "invalid_archive"),
        ({}, lambda c: upload_zip(c, zip_bytes({"a.txt": b"x"})), 422, "no_images"),
        ({}, lambda c: upload_files(c, [("a.txt", b"x"), ("b.txt", b"y")]), 422, "no_images"),
        ({}, lambda c: upload_files(c, [("notes.txt", b"hello")]), 415, "unsupported_media_type"),
        ({}, lambda c: c.post("/v1/datasets", content=b"{}", headers={"content-type": "application/json"}), 415,
         "unsupported_media_type"),
        ({}, lambda c: upload_zip(c, zip_of_pngs(2), resolution="48"), 422, "validation_error"),
        ({}, lambda c: upload_zip(c, zip_of_pngs(2), val_fraction="0.9"), 422, "validation_error"),
        ({}, lambda c: upload_zip(c, zip_of_pngs(2), colour="blue"), 422, "validation_error"),
        ({}, lambda c: c.post("/v1/datasets", data={"name": "no files"}), 422, "validation_error"),
        ({"max_upload_bytes": 2000}, lambda c: upload_zip(c, zip_of_pngs(30)), 413, "too_large"),
        ({"max_upload_bytes": 1_000_000}, lambda c: upload_zip(c, _bomb()), 413, "too_large"),
        ({"max_images": 3}, lambda c: upload_zip(c, zip_of_pngs(4)), 413, "too_large"),
        ({"max_images": 3}, lambda c: upload_files(c, [("a.png", d) for d in distinct_pngs(5)]), 413, "too_large"),
        ({"max_image_pixels": 200 * 200}, lambda c: upload_files(c, [("big.png", _huge_png())]), 413, "too_large"),
    ],
    ids=["truncated-zip", "not-a-zip", "zip-without-images", "files-without-images", "lone-text-file", "json-body",
         "bad-resolution", "bad-val-fraction", "unknown-field", "no-files", "body-too-large", "zip-bomb",
         "too-many-in-zip", "too-many-files", "too-many-pixels"],
)
def test_upload_errors_leave_nothing_behind(make_client, data_dir, overrides, upload, status, code):
    client = make_client(**overrides)
    assert_error(upload(client), status, code)
    assert leftovers(data_dir) == []


def test_chunked_body_over_the_cap_is_refused_while_streaming(make_client, data_dir):
    client = make_client(max_upload_bytes=5000)
    body = zip_of_pngs(40)
    boundary = "xyz"
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.zip\"\r\n"
               f"Content-Type: application/zip\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()

    def chunks():  # a generator body is sent chunked: no Content-Length to check up front
        for start in range(0, len(payload), 1000):
            yield payload[start:start + 1000]

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    response = client.post("/v1/datasets", content=chunks(), headers=headers)
    assert_error(response, 413, "too_large")
    assert leftovers(data_dir) == []


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [("get", "/v1/datasets/0123456789abcdef", "dataset_not_found"),
     ("get", "/v1/datasets/nope/preview.png", "dataset_not_found"),
     ("delete", "/v1/datasets/nope", "dataset_not_found"),
     ("get", "/v1/datasets/..%2F..%2Fetc", "not_found"),  # ids are names, never paths
     ("get", "/v1/datasets/-bad-id-", "dataset_not_found")],
)
def test_unknown_ids_are_404(client, method, path, code):
    assert_error(getattr(client, method)(path), 404, code)
