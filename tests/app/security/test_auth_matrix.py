"""Every route of the API, called with no key, a wrong key, another user's key and an admin key.

Alice (a user key) owns a dataset, a job and a model; bob (another user key) must get nothing of
them: 404, as if they did not exist, and nothing changes. Admin-only routes answer 403 to users.
The list of cases is checked against the app's routes, so a new route without a case fails here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from tests.app.factories import assert_error, zip_of_pngs
from tests.utils.training import tiny_config


@dataclass
class Case:
    method: str
    route: str  # as the OpenAPI spec names it
    path: str  # with {dataset}, {model}, {job}, {spare_key} filled from the fixture
    other: int  # bob's status (404: alice's thing is invisible to him; 403: admin only)
    ok: int  # the admin's status (and alice's, unless `destructive` or admin only)
    kwargs: Callable[[Any], dict] = lambda sec: {}
    destructive: bool = False  # alice is not asked (the admin's call needs it intact)
    admin_only: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


M = "/v1/models/{model_id}"
J = "/v1/jobs/{job_id}"
D = "/v1/datasets/{dataset_id}"
CASES = [
    Case("GET", f"{M}/images/{{seed}}.png", "/v1/models/{model}/images/3.png", 404, 200),
    Case("GET", f"{M}/grid.png", "/v1/models/{model}/grid.png?count=4", 404, 200),
    Case("GET", f"{M}/interpolate.png", "/v1/models/{model}/interpolate.png?from=1&to=2&steps=3", 404, 200),
    Case("GET", f"{M}/interpolate.gif", "/v1/models/{model}/interpolate.gif?from=1&to=2&steps=3", 404, 200),
    Case("POST", f"{M}/images", "/v1/models/{model}/images", 404, 200, lambda sec: {"json": {"seeds": [1, 2]}}),
    Case("GET", f"{M}/samples.png", "/v1/models/{model}/samples.png", 404, 200),
    Case("POST", f"{M}/share", "/v1/models/{model}/share", 404, 200),
    Case("GET", M, "/v1/models/{model}", 404, 200),
    Case("DELETE", M, "/v1/models/{model_to_delete}", 404, 204, destructive=True),
    Case("GET", "/v1/models", "/v1/models", 200, 200),
    Case("GET", "/v1/datasets", "/v1/datasets", 200, 200),
    Case("POST", "/v1/datasets", "/v1/datasets", 201, 201,
         lambda sec: {"files": {"file": ("set.zip", zip_of_pngs(4), "application/zip")}}),
    Case("GET", D, "/v1/datasets/{dataset}", 404, 200),
    Case("GET", f"{D}/preview.png", "/v1/datasets/{dataset}/preview.png", 404, 200),
    Case("DELETE", D, "/v1/datasets/{dataset_to_delete}", 404, 204, destructive=True),
    Case("GET", "/v1/jobs", "/v1/jobs", 200, 200),
    Case("POST", "/v1/jobs", "/v1/jobs", 422, 202,  # bob names alice's dataset: unknown to him
         lambda sec: {"json": tiny_config(sec.ids["dataset_for_jobs"]).model_dump(mode="json")}),
    Case("GET", J, "/v1/jobs/{job}", 404, 200),
    Case("POST", f"{J}/cancel", "/v1/jobs/{job}/cancel", 404, 200, destructive=True),
    Case("GET", f"{J}/events", "/v1/jobs/{job}/events", 404, 200),
    Case("GET", f"{J}/preview.png", "/v1/jobs/{job}/preview.png", 404, 200),
    Case("GET", f"{J}/metrics", "/v1/jobs/{job}/metrics", 404, 200),
    Case("GET", "/v1/keys", "/v1/keys", 403, 200, admin_only=True),
    Case("POST", "/v1/keys", "/v1/keys", 403, 201, lambda sec: {"json": {"name": "new", "role": "user"}},
         admin_only=True),
    Case("DELETE", "/v1/keys/{key_id}", "/v1/keys/{spare_key}", 403, 200, admin_only=True, destructive=True),
    Case("GET", "/metrics", "/metrics", 403, 200, admin_only=True),
]
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz")}


def test_every_route_has_a_case(client):
    spec = {(method.upper(), path) for path, ops in client.app.openapi()["paths"].items() for method in ops}
    assert spec | {("GET", "/metrics")} == {(case.method, case.route) for case in CASES} | PUBLIC


def call(client, sec, case: Case, headers: dict):
    path = case.path.format(**sec.ids, spare_key=sec.key_ids["spare"])
    return client.request(case.method, path, headers=headers, **case.kwargs(sec))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_route(client, secured, case):
    sec = secured
    if not case.destructive:  # first, so the image fast path has the model loaded and the image cached
        assert call(client, sec, case, sec.admin).status_code == case.ok
    assert_error(call(client, sec, case, {}), 401, "unauthorized")
    assert_error(call(client, sec, case, sec.wrong), 401, "invalid_key")
    other = call(client, sec, case, sec.bob)
    assert other.status_code == case.other, other.text
    if case.other >= 400:
        assert set(other.json()) == {"error"}
    _assert_alice_things_intact(client, sec)
    if not case.destructive:
        alice = call(client, sec, case, sec.alice)
        assert alice.status_code == (403 if case.admin_only else case.ok), alice.text
    admin = call(client, sec, case, sec.admin)
    assert admin.status_code == case.ok, admin.text
    if case.path in ("/v1/datasets", "/v1/models", "/v1/jobs") and case.method == "GET":
        _assert_lists(client, sec, case.path)


def _assert_alice_things_intact(client, sec) -> None:
    """Nothing bob (or no key) did touched them."""
    ids = sec.ids
    for path in (f"/v1/datasets/{ids['dataset_to_delete']}", f"/v1/models/{ids['model_to_delete']}"):
        assert client.get(path, headers=sec.alice).status_code == 200
    job = client.get(f"/v1/jobs/{ids['job']}", headers=sec.alice).json()
    assert job["status"] == "queued" and not job["cancel_requested"]
    spare = [k for k in client.get("/v1/keys", headers=sec.admin).json() if k["id"] == sec.key_ids["spare"]]
    assert spare[0]["revoked_at"] is None


def _assert_lists(client, sec, path: str) -> None:
    """Lists: alice and the admin see alice's things, bob does not (shipped bases: everyone)."""
    key = {"/v1/datasets": "dataset", "/v1/models": "model", "/v1/jobs": "job"}[path]
    listed = {who: {item["id"] for item in client.get(path, headers=headers).json()}
              for who, headers in (("alice", sec.alice), ("bob", sec.bob), ("admin", sec.admin))}
    assert sec.ids[key] in listed["alice"] and sec.ids[key] in listed["admin"]
    assert sec.ids[key] not in listed["bob"]
    if path == "/v1/models":
        assert "emoji64-gan" in listed["bob"]
