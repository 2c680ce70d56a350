"""The running job's lease: who trains a job right now, and whether they are still alive.

A work horse takes the lease (a Redis key with a TTL) before it trains and renews it from a thread;
a horse that dies stops renewing, and once the key is gone the job is lost. The sweep
(worker.recovery) then replaces it with a tombstone ("lost:<old token>") in one atomic step and
re-enqueues the job. Every step is a compare-and-set in a Lua script, so:
- two horses never hold one job's lease (the second delivery of a job sees a live token and leaves);
- a horse that stalled past its TTL and was declared lost learns so at its next renewal and stops,
  instead of training on beside its replacement.
RQ cannot give these: its started registry and execution heartbeats say that a worker started a job,
not that only one process trains it, and a second delivery of the same job id runs regardless.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

import redis

log = logging.getLogger(__name__)

TOMBSTONE = "lost:"
TOMBSTONE_TTL_S = 7 * 24 * 3600  # a declared-lost lease stays "lost" until the job restarts or this passes

_ACQUIRE = """
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 5) ~= 'lost:' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RENEW = """
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not value then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_DECLARE_LOST = """
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 5) == 'lost:' then return 1 end
if value and value ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'lost:' .. (value or ARGV[1]), 'EX', ARGV[2])
return 1
"""


def lease_key(job_id: str) -> str:
    return f"transfergen:lease:{job_id}"


def new_token(pid: int | None = None) -> str:
    """host:pid:random, so a worker can tell the lease of its own dead horse from others'."""
    return f"{socket.gethostname()}:{pid or os.getpid()}:{uuid.uuid4().hex[:12]}"


def token_prefix(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:"


def holder(conn: redis.Redis, job_id: str) -> str | None:
    """The live holder's token; None when nobody holds it (missing or tombstoned)."""
    value = conn.get(lease_key(job_id))
    if value is None:
        return None
    value = value.decode()
    return None if value.startswith(TOMBSTONE) else value


def acquire(conn: redis.Redis, job_id: str, token: str, ttl_s: float) -> bool:
    return bool(conn.eval(_ACQUIRE, 1, lease_key(job_id), token, int(ttl_s * 1000)))


def renew(conn: redis.Redis, job_id: str, token: str, ttl_s: float) -> bool:
    """False: the lease belongs to someone else now (this horse was declared lost)."""
    return bool(conn.eval(_RENEW, 1, lease_key(job_id), token, int(ttl_s * 1000)))


def release(conn: redis.Redis, job_id: str, token: str) -> None:
    conn.eval(_RELEASE, 1, lease_key(job_id), token)


def declare_lost(conn: redis.Redis, job_id: str, dead_token: str | None = None) -> bool:
    """Tombstone the lease if nobody holds it (or if `dead_token`, known dead, still does).

    True also when it is a tombstone already (idempotent); False: a live horse holds it.
    """
    return bool(conn.eval(_DECLARE_LOST, 1, lease_key(job_id), dead_token or "", TOMBSTONE_TTL_S))


class LeaseKeeper:
    """Renews a held lease every third of its TTL from a daemon thread, until stopped.

    `lost` is set when the lease turns out to be someone else's, and also when this horse can no
    longer hold it: no renewal reached Redis for a whole TTL (Redis gone, as when the launcher that
    ran it and its embedded Redis were stopped). Either way the horse checkpoints and stops instead of
    training on unseen and publishing later; once the lease has lapsed the sweep resumes the job from
    that checkpoint. A Redis outage shorter than the TTL is ridden out. (A horse whose worker parent
    died while Redis stays up keeps renewing and finishes its job: nobody else may start it meanwhile.)
    """

    def __init__(self, conn: redis.Redis, job_id: str, token: str, ttl_s: float):
        self.conn, self.job_id, self.token, self.ttl_s = conn, job_id, token, ttl_s
        self.renewed_at = time.monotonic()  # taken (acquired) just before this keeper starts
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def start(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def expired(self) -> bool:
        """No renewal for a whole TTL: true even while a renewal hangs on a dead connection."""
        return time.monotonic() - self.renewed_at >= self.ttl_s

    def _run(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                if not renew(self.conn, self.job_id, self.token, self.ttl_s):
                    self._give_up("the lease was taken over")
                    return
                self.renewed_at = time.monotonic()
            except redis.RedisError:
                log.warning("job %s: could not renew the lease", self.job_id, exc_info=True)
                if self.expired:
                    self._give_up(f"no renewal reached Redis for {self.ttl_s:g} s")
                    return

    def _give_up(self, why: str) -> None:
        log.warning("job %s: %s; this horse checkpoints and stops", self.job_id, why)
        self.lost.set()
