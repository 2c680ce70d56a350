"""Key checks: caching and revocation lag, Redis down."""
from __future__ import annotations

from tests.app.factories import assert_error
from tests.app.security.conftest import bearer


def test_revoked_elsewhere_stops_working_within_key_cache_s(make_client, keys):
    made = keys.create("alice", "user")
    cached = make_client(key_cache_s=3600)
    uncached = make_client(key_cache_s=0)
    for client in (cached, uncached):
        assert client.get("/v1/datasets", headers=bearer(made.key)).status_code == 200
    keys.revoke(made.record.id)  # as `python -m jobs.keys revoke` does, from another process
    assert_error(uncached.get("/v1/datasets", headers=bearer(made.key)), 401, "invalid_key")
    assert cached.get("/v1/datasets", headers=bearer(made.key)).status_code == 200  # the documented lag


def test_a_key_cannot_be_checked_without_redis(make_client):
    client = make_client(redis_url="redis://127.0.0.1:1/0", raise_server_exceptions=False)
    assert_error(client.get("/v1/datasets", headers=bearer("tg_000000000000_x")), 503, "queue_unavailable")
    assert client.get("/v1/datasets").status_code == 200  # loopback, no key ever seen: anonymous, from disk
