"""A corpus of hostile inputs, as an attacker would send them: each gets its 4xx in the error shape,
a small answer, little memory, and leaves DATA_DIR as it was (issue 11's corpus test).

Memory is measured with tracemalloc around the request (the request body, built beforehand, is copied
by the test client once or twice): a forged zip member or an unbounded body would show as hundreds of MB.
"""
from __future__ import annotations

import json
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from app.settings import Settings
from tests.app.factories import assert_error, distinct_pngs, zip_bytes
from tests.utils.datasets import write_dataset
from tests.utils.hostile import GIB, forged_zip, png_header_only
from tests.utils.training import tiny_config

MB = 1024 * 1024
LIMITS = {"max_json_bytes": 64 * 1024, "max_upload_bytes": 8 * MB, "max_images": 50}
MAX_PEAK_BYTES = 48 * MB
MAX_ANSWER_BYTES = 8 * 1024


@dataclass
class Hostile:
    """One request: `send(client, dataset_id)` returns the response; the status and error code it must get."""

    send: Callable
    status: int
    code: str
    settings: dict = field(default_factory=dict)
    slow: bool = False  # seconds to build or send; its defect has a fast regression test of its own


def _upload(data: bytes | Callable[[], bytes], name: str = "set.zip", content_type: str = "application/zip"):
    """An upload of `data` (or of what `data()` builds, for files too costly to build at collection)."""
    def send(client, _):
        return client.post("/v1/datasets", files={"file": (name, data() if callable(data) else data, content_type)})
    return send


def _json(path: str, body: str | bytes, method: str = "POST"):
    return lambda client, _: client.request(method, path, content=body, headers={"content-type": "application/json"})


def _job(**fields):
    def send(client, dataset_id):
        body = {**tiny_config(dataset_id).model_dump(mode="json"), **fields}
        return client.post("/v1/jobs", content=json.dumps(body, allow_nan=True), headers={"content-type": "application/json"})
    return send


def _get(path: str, **params):
    return lambda client, _: client.get(path, params=params)


def _encrypted_member_zip() -> bytes:
    data = bytearray(zip_bytes({"secret.png": distinct_pngs(1)[0]}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
        at = data.find(signature) + offset
        data[at] |= 0x1
    return bytes(data)


def _many_members(count: int) -> bytes:
    return zip_bytes({f"{i}.png": data for i, data in enumerate(distinct_pngs(count, (4, 4)))})


def _multipart_garbage(client, _):
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    return client.post("/v1/datasets", content=b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                       b"\r\nnot closed", headers=headers)


def _nested_zip() -> bytes:
    inner = zip_bytes({"a.png": distinct_pngs(1)[0]})
    return zip_bytes({"inner.zip": inner})


def _deep_json() -> bytes:
    return b"[" * 20_000 + b"]" * 20_000  # past Python's recursion limit when parsed


def _chunked(data: bytes):
    def send(client, _):
        return client.post("/v1/jobs", content=(data[i:i + 4096] for i in range(0, len(data), 4096)),
                           headers={"content-type": "application/json"})
    return send


CORPUS = {
    # uploads
    "forged-member-1GiB-declared-4KiB": Hostile(_upload(lambda: forged_zip(4096, GIB)), 422, "no_images",
                                                 slow=True),
    "declared-zip-bomb": Hostile(_upload(lambda: zip_bytes({"zeros.png": bytes(20 * MB)})), 413, "too_large",
                                 slow=True),
    "png-header-60000x60000": Hostile(_upload(png_header_only(60_000, 60_000), "a.png", "image/png"), 413, "too_large"),
    "not-a-zip-named-zip": Hostile(_upload(b"PK but not really" * 100), 422, "invalid_archive"),
    "text-file-alone": Hostile(_upload(b"hello", "notes.txt", "text/plain"), 415, "unsupported_media_type"),
    "empty-zip": Hostile(_upload(zip_bytes({})), 422, "no_images"),
    "too-many-members": Hostile(_upload(_many_members(60)), 413, "too_large"),
    "encrypted-member": Hostile(_upload(_encrypted_member_zip()), 422, "no_images"),
    "nested-zip": Hostile(_upload(_nested_zip()), 422, "no_images"),
    "upload-over-the-cap": Hostile(_upload(bytes(9 * MB)), 413, "too_large"),
    "upload-as-json": Hostile(_json("/v1/datasets", b'{"file": "x"}'), 415, "unsupported_media_type"),
    "unterminated-multipart": Hostile(_multipart_garbage, 422, "validation_error"),  # no complete file part
    "decode-budget": Hostile(_upload(_many_members(40)), 413, "too_large", {"max_decode_pixels": 100}),
    # JSON bodies
    "job-body-1MB": Hostile(_json("/v1/jobs", b'{"dataset_id": "' + b"a" * MB + b'"}'), 413, "too_large"),
    "job-body-chunked-1MB": Hostile(_chunked(b'{"dataset_id": "' + b"a" * MB + b'"}'), 413, "too_large"),
    "seeds-1MB": Hostile(_json("/v1/models/emoji64-gan/images", b'{"seeds": [' + b"1," * (MB // 2) + b'1]}'),
                         413, "too_large"),
    "deep-json": Hostile(_json("/v1/jobs", _deep_json()), 400, "bad_request"),
    "invalid-json": Hostile(_json("/v1/jobs", b'{"dataset_id": '), 422, "validation_error"),
    "nan-learning-rate": Hostile(_job(learning_rate=float("nan")), 422, "validation_error"),
    "infinite-r1-gamma": Hostile(_job(r1_gamma=float("inf")), 422, "validation_error"),
    "unknown-field-60KB": Hostile(_job(**{"x" * 60_000: 1}), 422, "validation_error"),
    "steps-10^12": Hostile(_job(steps=10**12), 422, "validation_error"),
    "webhook-loopback-decimal": Hostile(_job(webhook_url="http://2130706433:8000/"), 422, "webhook_url_not_allowed",
                                        {"webhook_secret": "s"}),
    "webhook-metadata-service": Hostile(_job(webhook_url="http://169.254.169.254/latest/"), 422,
                                        "webhook_url_not_allowed", {"webhook_secret": "s"}),
    "seeds-5000": Hostile(_json("/v1/models/emoji64-gan/images", json.dumps({"seeds": list(range(5000))})),
                          422, "validation_error"),
    "image-batch-unknown-field": Hostile(_json("/v1/models/emoji64-gan/images", b'{"seeds": [1], "psi": 0}'),
                                         422, "validation_error"),
    # paths and queries
    "dataset-id-traversal": Hostile(_get("/v1/datasets/..%2F..%2Fetc%2Fpasswd"), 404, "not_found"),
    "model-id-traversal": Hostile(_get("/v1/models/..%2Fpretrained"), 404, "not_found"),
    "dataset-id-dots": Hostile(_get("/v1/datasets/.."), 404, "not_found"),
    "model-id-dotfile": Hostile(_get("/v1/models/.hidden"), 404, "model_not_found"),
    "job-id-10KB": Hostile(_get("/v1/jobs/" + "j" * 10_000), 404, "job_not_found"),
    "seed-2^32": Hostile(_get("/v1/models/emoji64-gan/images/4294967296.png"), 422, "invalid_seed"),
    "seed-10KB": Hostile(_get("/v1/models/emoji64-gan/images/" + "9" * 10_000 + ".png"), 422, "invalid_seed"),
    "grid-count-10^9": Hostile(_get("/v1/models/emoji64-gan/grid.png", count=10**9), 422, "too_many_images"),
    "interpolation-steps-10^6": Hostile(_get("/v1/models/emoji64-gan/interpolate.gif", **{"from": 1, "to": 2,
                                             "steps": 10**6}), 422, "too_many_steps"),
    "truncation-nan": Hostile(_get("/v1/models/emoji64-gan/images/1.png", truncation="nan"), 422, "validation_error"),
    "events-after-negative": Hostile(_get("/v1/jobs/abc/events", after=-1), 422, "validation_error"),
    "cors-preflight-foreign-origin": Hostile(
        lambda client, _: client.options("/v1/jobs", headers={"Origin": "https://evil.example",
                                                              "Access-Control-Request-Method": "DELETE"}),
        400, "cors_refused", {"cors_origins": ["https://ui.example"]}),
}


def _snapshot(data_dir: Path) -> set[str]:
    """Every path under DATA_DIR but the (empty) staging root, which the first upload creates for good."""
    return {str(path.relative_to(data_dir)) for path in data_dir.rglob("*")} - {"tmp"}


@pytest.fixture(scope="module")
def corpus_client(redis_url, tmp_path_factory):
    """client(**settings) -> a started TestClient, one per distinct settings, shared by the corpus (an app
    per case would cost more than the cases) on one DATA_DIR with a dataset in it, and a queue of its own."""
    data_dir = tmp_path_factory.mktemp("corpus-data")
    dataset_id = write_dataset(data_dir)
    base = Settings(redis_url=redis_url, data_dir=data_dir, queue_name=f"test-corpus-{uuid.uuid4().hex[:12]}")
    clients: dict[str, TestClient] = {}

    def client(**overrides) -> TestClient:
        key = json.dumps(overrides, sort_keys=True)
        if key not in clients:
            clients[key] = TestClient(create_app(base.model_copy(update={**LIMITS, **overrides})))
            clients[key].__enter__()
        return clients[key]

    yield client, data_dir, dataset_id
    for started in clients.values():
        started.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _keep_pillow_limit():
    before = Image.MAX_IMAGE_PIXELS  # create_app sets it process-wide
    yield
    Image.MAX_IMAGE_PIXELS = before


@pytest.mark.parametrize("name", [pytest.param(name, marks=[pytest.mark.slow] if case.slow else [])
                                  for name, case in CORPUS.items()])
def test_hostile_input(corpus_client, name):
    case = CORPUS[name]
    make, data_dir, dataset_id = corpus_client
    client = make(**case.settings)
    before = _snapshot(data_dir)
    tracemalloc.start()
    try:
        response = case.send(client, dataset_id)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    error = assert_error(response, case.status, case.code)
    assert len(response.content) <= MAX_ANSWER_BYTES, error
    assert _snapshot(data_dir) == before  # nothing half written, nothing left in DATA_DIR/tmp
    assert peak < MAX_PEAK_BYTES, f"{peak / MB:.0f} MB traced"
