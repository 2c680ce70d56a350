"""Leases: one live holder per job, renewals, tombstones, and a horse that learns it was replaced."""
from __future__ import annotations

import time
import uuid

import pytest
import redis

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
