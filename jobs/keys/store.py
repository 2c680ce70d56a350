"""The API key store, in Redis, per queue (QUEUE_NAME names one deployment; test queues never share keys).

A key is `tg_<id>_<secret>`: `<id>` (12 hex) names it in lists and logs and becomes the owner of
what it creates; `<secret>` is 256 random bits. Redis keeps only the SHA-256 of the whole key.
A plain SHA-256 rather than a slow password hash (bcrypt, argon2) on purpose: those slow down
guessing of low-entropy passwords, and nothing can guess 256 random bits; a fast hash keeps the
per-request check cheap. Lookup is by that digest, so no key is ever compared in plain text.
"""
from __future__ import annotations

import enum
import hashlib
import secrets

import redis
from pydantic import BaseModel

from jobs.timestamps import utc_now_iso

KEY_PREFIX = "tg_"
MAX_NAME_CHARS = 100


class Role(str, enum.Enum):
    ADMIN = "admin"  # sees and manages everything, keys included
    USER = "user"  # sees and changes only what it created; quotas and rate limits apply


class ApiKey(BaseModel):
    """One key as stored and listed: never the key itself, only its digest."""

    id: str
    name: str
    role: Role
    digest: str  # SHA-256 hex of the whole key
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict:
        """What lists show: everything but the digest."""
        return self.model_dump(mode="json", exclude={"digest"})


class NewKey(BaseModel):
    """A key just made: the only time its plain text exists outside the client."""

    key: str
    record: ApiKey


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class KeyStore:
    """Keys of one queue: `transfergen:apikeys:<queue>` (id -> ApiKey JSON) and
    `transfergen:apikey-digests:<queue>` (digest -> id, active keys only)."""

    def __init__(self, conn: redis.Redis, queue_name: str):
        self.conn = conn
        self.records_key = f"transfergen:apikeys:{queue_name}"
        self.digests_key = f"transfergen:apikey-digests:{queue_name}"

    def create(self, name: str, role: Role | str) -> NewKey:
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
            raise ValueError(f"a key name is 1 to {MAX_NAME_CHARS} printable characters")
        key_id = secrets.token_hex(6)
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(id=key_id, name=name, role=Role(role), digest=digest(key), created_at=utc_now_iso())
        pipe = self.conn.pipeline()  # MULTI/EXEC: both entries or neither
        pipe.hset(self.records_key, key_id, record.model_dump_json())
        pipe.hset(self.digests_key, record.digest, key_id)
        pipe.execute()
        return NewKey(key=key, record=record)

    def authenticate(self, key: str) -> ApiKey | None:
        """The active key with this plain text, or None."""
        key_id = self.conn.hget(self.digests_key, digest(key))
        if key_id is None:
            return None
        record = self.get(key_id.decode())
        return record if record is not None and record.active else None

    def get(self, key_id: str) -> ApiKey | None:
        raw = self.conn.hget(self.records_key, key_id)
        return None if raw is None else ApiKey.model_validate_json(raw)

    def list(self) -> list[ApiKey]:
        """All keys, revoked ones too (they still name the owner of what they made), oldest first."""
        records = [ApiKey.model_validate_json(raw) for raw in self.conn.hvals(self.records_key)]
        return sorted(records, key=lambda record: record.created_at)

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke for good (idempotent); None for an unknown id."""
        record = self.get(key_id)
        if record is None:
            return None
        if record.active:
            record.revoked_at = utc_now_iso()
            pipe = self.conn.pipeline()
            pipe.hdel(self.digests_key, record.digest)
            pipe.hset(self.records_key, key_id, record.model_dump_json())
            pipe.execute()
        return record

    def has_active_keys(self) -> bool:
        return self.conn.hlen(self.digests_key) > 0
