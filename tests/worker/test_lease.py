"""Leases: one live holder per job, renewals, tombstones, and a horse that learns it was replaced."""
from __future__ import annotations

import time
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from worker import lease


@pytest.fixture
def conn(redis_url):
    conn = redis.Redis.from_url(redis_url)
    yield conn


@pytest.fixture
def job_id(conn):
    job_id = uuid.uuid4().hex
    yield job_id
    conn.delete(lease.lease_key(job_id))


def test_one_holder_at_a_time(conn, job_id):
    a, b = lease.new_token(), lease.new_token()
    assert lease.acquire(conn, job_id, a, 5) is True
    assert lease.acquire(conn, job_id, b, 5) is False  # a second delivery of the job: leave it
    assert lease.holder(conn, job_id) == a
    assert lease.renew(conn, job_id, b, 5) is False
    lease.release(conn, job_id, b)  # not b's: nothing happens
    assert lease.holder(conn, job_id) == a
    lease.release(conn, job_id, a)
    assert lease.holder(conn, job_id) is None and lease.acquire(conn, job_id, b, 5) is True


def test_declare_lost_only_without_a_live_holder(conn, job_id):
    a = lease.new_token()
    lease.acquire(conn, job_id, a, 5)
    assert lease.declare_lost(conn, job_id) is False  # alive
    assert lease.declare_lost(conn, job_id, dead_token=a) is True  # its worker saw the horse die
    assert lease.holder(conn, job_id) is None
    assert lease.declare_lost(conn, job_id) is True  # idempotent
    assert lease.renew(conn, job_id, a, 5) is False  # the old horse learns it was replaced
    b = lease.new_token()
    assert lease.acquire(conn, job_id, b, 5) is True  # the resumed run takes over the tombstone


def test_a_lapsed_lease_is_renewed_unless_declared_lost(conn, job_id):
    a = lease.new_token()
    lease.acquire(conn, job_id, a, 5)
    conn.delete(lease.lease_key(job_id))  # lapsed (a stalled horse) or Redis lost it
    assert lease.renew(conn, job_id, a, 5) is True and lease.holder(conn, job_id) == a


def test_keeper_renews_and_notices_a_takeover(conn, job_id):
    a = lease.new_token()
    lease.acquire(conn, job_id, a, 1.5)
    keeper = lease.LeaseKeeper(conn, job_id, a, 1.5).start()
    try:
        time.sleep(2.5)  # longer than the TTL: only renewals keep it
        assert lease.holder(conn, job_id) == a and not keeper.lost.is_set()
        conn.set(lease.lease_key(job_id), "lost:" + a)
        assert keeper.lost.wait(3)
    finally:
        keeper.stop()


def test_token_names_host_and_pid():
    assert lease.new_token(pid=1234).startswith(lease.token_prefix(1234))


def _gone() -> redis.Redis:
    """A client of a Redis that is not there (nothing listens on port 1), failing at once (no retries)."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))


def test_keeper_gives_up_when_redis_is_gone_for_a_ttl(job_id):
    """Defect 12: with no Redis (its launcher stopped), a horse must stop, not train on and publish later."""
    gone = _gone()
    keeper = lease.LeaseKeeper(gone, job_id, lease.new_token(), 1.0).start()
    try:
        assert not keeper.expired and not keeper.lost.is_set()
        assert keeper.lost.wait(4)
        assert keeper.expired
    finally:
        keeper.stop()


@pytest.mark.slow  # waits out most of a TTL
def test_keeper_rides_out_an_outage_shorter_than_the_ttl(conn, job_id):
    token = lease.new_token()
    lease.acquire(conn, job_id, token, 3)
    keeper = lease.LeaseKeeper(conn, job_id, token, 3).start()
    try:
        keeper.conn = _gone()  # Redis away...
        time.sleep(1.5)
        keeper.conn = conn  # ...and back within the TTL
        time.sleep(2.5)
        assert not keeper.lost.is_set() and not keeper.expired
        assert lease.holder(conn, job_id) == token
    finally:
        keeper.stop()
