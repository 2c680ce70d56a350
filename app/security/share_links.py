"""Signed, expiring image links: `?token=...` on a model's image URLs, so an `<img>` tag (which cannot
send an Authorization header) shows them. The token names the model, the key that made it and its
expiry, with an HMAC-SHA256 over those (stdlib hmac: three fields do not need a JWT library). It
reads that model's images only, and dies with its key's revocation.

The secret is SHARE_SECRET, or else a random one made once per queue and kept in Redis, so every
API process of a deployment accepts the others' links.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable

import redis

from models.ids import ID_CHARS

# The routes a link opens: GET images, grids, interpolations and the sample grid of one model.
SHAREABLE_PATH = re.compile(
    rf"/v1/models/({ID_CHARS})/(?:images/[0-9]+\.png|grid\.png|interpolate\.(?:png|gif)|samples\.png)")


class InvalidLink(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, secret: bytes | Callable[[], bytes]):
        self._secret = secret

    @classmethod
    def for_queue(cls, conn: redis.Redis, queue_name: str, configured: str | None) -> LinkSigner:
        if configured:
            return cls(configured.encode())
        key = f"transfergen:share-secret:{queue_name}"

        def shared_secret() -> bytes:  # on first use, not at start-up: the app starts while Redis is down
            conn.set(key, secrets.token_hex(32), nx=True)  # the first API process makes it; the others read it
            return conn.get(key)

        return cls(shared_secret)

    @property
    def secret(self) -> bytes:
        if callable(self._secret):
            self._secret = self._secret()
        return self._secret

    def sign(self, model_id: str, key_id: str, expires_at: int) -> str:
        payload = _b64(json.dumps({"m": model_id, "k": key_id, "e": expires_at}, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, model_id: str, now: float | None = None) -> str:
        """The id of the key that made a valid link to this model; InvalidLink otherwise."""
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            raise InvalidLink("the link's signature does not match")
        try:
            fields = json.loads(_unb64(payload))
            linked, key_id, expires_at = fields["m"], fields["k"], fields["e"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidLink("the link is malformed") from exc
        if linked != model_id:
            raise InvalidLink("the link is for another model")
        if not isinstance(expires_at, int) or expires_at <= (time.time() if now is None else now):
            raise InvalidLink("the link has expired")
        return str(key_id)

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())
