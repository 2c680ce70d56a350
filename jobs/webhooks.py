"""Job webhooks: an outbox in Redis, filled where job states change, emptied by a dispatcher thread.

Whoever changes a job's state (work horse, sweep, API) only adds a delivery to the outbox, a Redis
write; the HTTP POSTs happen in the API process (app.main starts a WebhookDispatcher), so a slow or
dead endpoint never blocks training or a worker. Deliveries are at least once: a dispatcher claims
due deliveries atomically for CLAIM_S seconds (several API processes share the work), retries
failures with exponential backoff, and one that crashes mid-send leaves its claims to expire and be
picked up again; `X-Transfergen-Delivery` lets a receiver drop duplicates.

The body is the job JSON (as GET /v1/jobs/{id}), signed:
  X-Transfergen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(WEBHOOK_SECRET, "<t>.<body>")>
Progress notifications (webhook_progress) are coalesced per job: a newer one replaces one not yet
sent, and a failed one is not retried (the next one follows).

Why not RQ's own webhooks (rq.webhook, RQ 3): they fire once, unsigned and without retries, from the
worker, on RQ's states (finished/failed) with RQ's job as the body; ours follow the job record's
statuses (canceled too, and progress), carry the job view, are signed and retried, and never make a
worker wait on a slow endpoint.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from jobs import webhook_http
from jobs.events import EventType
from jobs.record import JobRecord
from jobs.redaction import redact_url
from jobs.settings import QueueSettings
from jobs.store import JobStore
from jobs.views import job_view

log = logging.getLogger(__name__)

CLAIM_S = 120.0  # a claimed delivery is handed to another dispatcher after this long without an answer
MAX_BACKOFF_S = 3600.0
USER_AGENT = "transfergen-webhooks/1"

_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""
_DONE = """
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

_RESCHEDULE = """
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
  return 1
end
return 0
"""


def _keys(queue_name: str) -> tuple[str, str]:
    return f"transfergen:webhooks:{queue_name}:due", f"transfergen:webhooks:{queue_name}:body"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def notify(conn: redis.Redis, queue_name: str, record: JobRecord, event: str) -> None:
    """Add a delivery of the job's current view (event: "succeeded", "failed", "canceled", "progress").

    A job without a webhook (or without progress notifications, for "progress") adds nothing. Redis
    trouble is logged, never raised: a missed notification must not fail a job.
    """
    webhook = record.webhook
    if webhook is None or (event == "progress" and not webhook.progress):
        return
    delivery_id = f"{record.id}.{event}"
    entry = json.dumps({"id": delivery_id, "job_id": record.id, "url": webhook.url, "event": str(event),
                        "body": job_view(record).model_dump(mode="json"), "attempts": 0, "created": time.time()},
                       sort_keys=True)
    due, bodies = _keys(queue_name)
    try:
        with conn.pipeline() as pipe:
            pipe.hset(bodies, delivery_id, entry)
            pipe.zadd(due, {delivery_id: time.time()})
            pipe.execute()
    except redis.RedisError:
        log.warning("job %s: could not queue the %s webhook", record.id, event, exc_info=True)


def pending(conn: redis.Redis, queue_name: str) -> list[dict]:
    """Deliveries not yet sent (for tests and operators)."""
    return [json.loads(v) for v in conn.hvals(_keys(queue_name)[1])]


class WebhookDispatcher:
    """Sends due deliveries from a daemon thread (`start`/`stop`), or once per `run_once` call."""

    def __init__(self, conn: redis.Redis, settings: QueueSettings, *, poll_s: float = 0.5, senders: int = 4,
                 resolver: webhook_http.Resolver = socket.getaddrinfo):
        self.conn = conn
        self.resolver = resolver  # host name -> addresses; tests give their own
        self.settings = settings
        self.poll_s = poll_s
        self.store = JobStore(Path(settings.data_dir))
        self._due, self._bodies = _keys(settings.queue_name)
        self._pool = ThreadPoolExecutor(senders, thread_name_prefix="webhook")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "WebhookDispatcher":
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run_once(self, limit: int = 16) -> int:
        """Claim and send what is due now; returns how many were attempted."""
        now = time.time()
        ids = [i.decode() for i in self.conn.eval(_CLAIM, 1, self._due, now, now + CLAIM_S, limit)]
        entries = [(i, self.conn.hget(self._bodies, i)) for i in ids]
        raw_entries = [(i, raw) for i, raw in entries if raw is not None]
        for delivery_id, raw in entries:
            if raw is None:
                self.conn.zrem(self._due, delivery_id)
        list(self._pool.map(lambda item: self._deliver(*item), raw_entries))
        return len(raw_entries)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.run_once()
            except redis.RedisError:
                log.warning("webhook dispatcher: Redis unavailable", exc_info=True)
                sent = 0
            if not sent:
                self._stop.wait(self.poll_s)

    def _deliver(self, delivery_id: str, raw: bytes) -> None:
        entry = json.loads(raw)
        body = json.dumps(entry["body"], sort_keys=True).encode()
        error = self._post(entry, body)
        if error is None:
            self.conn.eval(_DONE, 2, self._due, self._bodies, delivery_id, raw)
            log.info("job %s: %s webhook delivered", entry["job_id"], entry["event"])
            return
        entry["attempts"] += 1
        limit = 1 if entry["event"] == "progress" else self.settings.webhook_max_attempts
        if entry["attempts"] >= limit:
            if self.conn.eval(_DONE, 2, self._due, self._bodies, delivery_id, raw) and entry["event"] != "progress":
                self._record_give_up(entry, error)
            return
        delay = min(self.settings.webhook_backoff_s * 2 ** (entry["attempts"] - 1), MAX_BACKOFF_S)
        updated = json.dumps(entry, sort_keys=True)
        # Reschedule only if no newer notification replaced this one meanwhile: a compare-and-set on this
        # delivery's own field (a WATCH on the shared hash failed whenever any other delivery was written).
        if not self.conn.eval(_RESCHEDULE, 2, self._due, self._bodies, delivery_id, raw, updated, time.time() + delay):
            return
        log.info("job %s: %s webhook failed (%s); retry %d in %.0f s", entry["job_id"], entry["event"], error,
                 entry["attempts"], delay)

    def _post(self, entry: dict, body: bytes) -> str | None:
        """None when the receiver answered 2xx; otherwise what went wrong."""
        secret = self.settings.webhook_secret
        if not secret:
            return "WEBHOOK_SECRET is not set on the API"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Transfergen-Event": f"job.{entry['event']}",
            "X-Transfergen-Delivery": entry["id"],
            "X-Transfergen-Signature": sign(secret, int(time.time()), body),
        }
        try:  # refuses internal addresses, pins the checked one, follows no redirect (jobs.webhook_http)
            webhook_http.post(entry["url"], body, headers, timeout_s=self.settings.webhook_timeout_s,
                              allowed_hosts=self.settings.webhook_allowed_hosts, resolver=self.resolver)
        except webhook_http.DeliveryFailed as e:
            return str(e)
        return None

    def _record_give_up(self, entry: dict, error: str) -> None:
        message = (f"webhook {entry['event']} to {redact_url(entry['url'])} not delivered after "
                   f"{entry['attempts']} attempts (last: {error})")
        log.warning("job %s: %s", entry["job_id"], message)
        try:
            with self.store.transaction(entry["job_id"]) as txn:
                if txn is not None:
                    txn.event(EventType.WEBHOOK_FAILED, message)
        except (OSError, ValueError):
            log.warning("job %s: could not log the webhook failure", entry["job_id"], exc_info=True)
