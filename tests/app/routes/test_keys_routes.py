"""/v1/keys: admin keys make, list and revoke keys; the plain key is shown once and never stored."""
from __future__ import annotations

import pytest

from tests.app.factories import assert_error


@pytest.fixture
def admin(client) -> dict:
    made = client.post("/v1/keys", json={"name": "root", "role": "admin"})
    assert made.status_code == 201
    return {"Authorization": f"Bearer {made.json()['key']}"}


def test_create_list_revoke(client, admin):
    made = client.post("/v1/keys", headers=admin, json={"name": "ci runner", "role": "user"}).json()
    assert made["key"].startswith(f"tg_{made['id']}_") and made["role"] == "user" and made["revoked_at"] is None
    user = {"Authorization": f"Bearer {made['key']}"}
    assert client.get("/v1/datasets", headers=user).status_code == 200

    listed = client.get("/v1/keys", headers=admin)
    assert [key["name"] for key in listed.json()] == ["root", "ci runner"]
    assert made["key"] not in listed.text and "digest" not in listed.text

    revoked = client.delete(f"/v1/keys/{made['id']}", headers=admin).json()
    assert revoked["revoked_at"] is not None
    assert_error(client.get("/v1/datasets", headers=user), 401, "invalid_key")
    assert client.delete(f"/v1/keys/{made['id']}", headers=admin).json() == revoked  # idempotent
    assert_error(client.delete("/v1/keys/nope", headers=admin), 404, "key_not_found")


@pytest.mark.parametrize("body", [{"name": "", "role": "user"}, {"name": "x", "role": "root"}, {"name": "x"},
                                  {"name": "x" * 101, "role": "user"}, {"name": "x", "role": "user", "extra": 1},
                                  {"name": "a\nb", "role": "user"}])
def test_bad_requests_are_422(client, admin, body):
    response = client.post("/v1/keys", headers=admin, json=body)
    assert response.status_code == 422 and set(response.json()) == {"error"}
    assert len(client.get("/v1/keys", headers=admin).json()) == 1  # nothing made


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer    ", "tg_x"])
def test_malformed_authorization_is_401(client, admin, header):
    response = client.get("/v1/datasets", headers={"Authorization": header})
    assert_error(response, 401, "invalid_authorization")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_the_owner_and_a_redacted_webhook_show_on_jobs(make_client, data_dir):
    from tests.app.routes.test_jobs_routes import job_body
    from tests.utils.datasets import write_dataset

    client = make_client(webhook_secret="s")
    body = {**job_body(write_dataset(data_dir)), "webhook_url": "https://u:pw@hooks.example/x?token=abc"}
    job = client.post("/v1/jobs", json=body).json()
    assert job["owner"] == "anonymous" and job["webhook_url"] == "https://***@hooks.example/x?token=***"
    assert "pw" not in client.get(f"/v1/jobs/{job['id']}").text
