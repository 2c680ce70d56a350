"""Anonymous mode (no keys) only on a loopback bind, or with ALLOW_ANONYMOUS=true on purpose."""
from __future__ import annotations

import pytest

from app.security.loopback import AnonymousRefused, anonymous_allowed, is_loopback_host
from app.security.settings import SecuritySettings
from tests.app.factories import assert_error


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False), ("", False),
])
def test_is_loopback_host(host, loopback):
    assert is_loopback_host(host) is loopback


def test_no_keys_on_loopback_is_anonymous_admin(client):
    assert client.get("/v1/keys").status_code == 200  # the tests' usual app: everyone is admin


def test_no_keys_on_a_network_address_refuses_to_start(make_client):
    with pytest.raises(AnonymousRefused, match="ALLOW_ANONYMOUS"):
        make_client(host="0.0.0.0")


def test_allow_anonymous_starts_on_purpose(make_client):
    client = make_client(host="0.0.0.0", allow_anonymous=True)
    assert client.get("/v1/datasets").status_code == 200


def test_with_a_key_it_starts_anywhere_and_wants_the_key(make_client, keys):
    keys.create("admin", "admin")
    client = make_client(host="0.0.0.0")
    assert_error(client.get("/v1/datasets"), 401, "unauthorized")
    assert client.get("/healthz").status_code == 200  # probes and the frontend need no key
    assert client.get("/").status_code == 200


def test_the_first_key_ends_anonymous_mode(client):
    made = client.post("/v1/keys", json={"name": "first", "role": "admin"})
    assert made.status_code == 201
    assert_error(client.get("/v1/datasets"), 401, "unauthorized")
    assert client.get("/v1/datasets", headers={"Authorization": f"Bearer {made.json()['key']}"}).status_code == 200


@pytest.mark.parametrize(("server", "allowed"), [
    (("127.0.0.1", 8000), True), (("::1", 8000), True), (("10.0.0.7", 8000), False), (("172.18.0.3", 8000), False),
    (None, True), (("/run/api.sock", None), True), (("testserver", 80), True),
])
def test_anonymous_requests_must_arrive_on_loopback(server, allowed):
    """`uvicorn --host 0.0.0.0` with HOST unset: a request over the network is still not anonymous."""
    assert anonymous_allowed(SecuritySettings(), {"server": server}) is allowed
    assert anonymous_allowed(SecuritySettings(allow_anonymous=True), {"server": server})
    assert not anonymous_allowed(SecuritySettings(host="0.0.0.0"), {"server": server})
