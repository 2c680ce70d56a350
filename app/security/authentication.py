"""Every /v1 request (and /metrics) gets a Principal before any route or the image fast path sees it.

An ASGI middleware rather than a FastAPI dependency, so the image fast path (app.fastpath), which
answers without FastAPI, is behind it too. The principal is put in the request's state
(`request.state.principal`); failures are 401s in the API's error shape.
"""
from __future__ import annotations

import time
from urllib.parse import parse_qs

import redis
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import ApiError, error_response
from app.security.loopback import anonymous_allowed
from app.security.principal import ANONYMOUS_ADMIN, Principal
from app.security.settings import SecuritySettings
from app.security.share_links import SHAREABLE_PATH, InvalidLink, LinkSigner
from jobs.keys import ApiKey, KeyStore, Role
from jobs.keys.store import digest
from jobs.ownership import ANONYMOUS

PROTECTED_PREFIXES = ("/v1/", "/metrics")
MAX_CACHED_KEYS = 1024
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="transfergen"'}


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=CHALLENGE)


class Authenticator:
    """Turns a request's Authorization header (or an image link's token) into a Principal.

    Key lookups are cached for KEY_CACHE_S (a revoked key works that much longer in other processes;
    this process forgets at once), so most requests, images included, cost no Redis round trip.
    """

    def __init__(self, keys: KeyStore, signer: LinkSigner, settings: SecuritySettings):
        self.keys = keys
        self.signer = signer
        self.settings = settings
        self._keys: dict[str, tuple[float, ApiKey]] = {}  # digest or "id:<key id>" -> (expires, key)
        self._has_keys: tuple[float, bool] | None = None
        self._last_has_keys = False

    def principal(self, scope: Scope) -> Principal:
        header = Headers(scope=scope).get("authorization")
        if header is not None:
            return self._from_header(header)
        token = _query_token(scope)
        if token is not None:
            return self._from_link(scope, token)
        if self.has_keys():
            raise unauthorized("unauthorized", "This server needs an API key: send `Authorization: Bearer <key>`.")
        if not anonymous_allowed(self.settings, scope):
            raise unauthorized("unauthorized", "This server has no API key yet and accepts no anonymous requests "
                                               "from the network; create a key with `python -m jobs.keys`.")
        return ANONYMOUS_ADMIN

    def has_keys(self) -> bool:
        """Whether any key is active. With Redis unreachable: the last answer; none before the first, so a
        loopback-only server without keys keeps serving what needs no Redis (listing jobs, say)."""
        now = time.monotonic()
        if self._has_keys is None or self._has_keys[0] < now:
            try:
                self._has_keys = (now + self.settings.key_cache_s, self.keys.has_active_keys())
            except redis.RedisError:
                self._has_keys = (now, self._last_has_keys)
            self._last_has_keys = self._has_keys[1]
        return self._has_keys[1]

    def forget(self) -> None:
        """After a key is made or revoked here: the next request asks Redis."""
        self._keys.clear()
        self._has_keys = None

    def _from_header(self, header: str) -> Principal:
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise unauthorized("invalid_authorization", "Send the API key as `Authorization: Bearer <key>`.")
        record = self._cached(digest(key), lambda: self.keys.authenticate(key))
        if record is None:
            raise unauthorized("invalid_key", "This API key is not valid (unknown or revoked).")
        return Principal(id=record.id, role=record.role)

    def _from_link(self, scope: Scope, token: str) -> Principal:
        match = SHAREABLE_PATH.fullmatch(scope["path"])
        if match is None or scope["method"] not in ("GET", "HEAD"):
            raise unauthorized("invalid_token", "A link token opens a model's images only; send an API key.")
        try:
            key_id = self.signer.verify(token, match.group(1))
        except InvalidLink as exc:
            raise unauthorized("invalid_token", f"This image link is not valid: {exc}.") from exc
        if key_id == ANONYMOUS:  # made in anonymous mode: good while that mode lasts
            if self.has_keys() or not anonymous_allowed(self.settings, scope):
                raise unauthorized("invalid_token", "This image link was made without a key; keys are required now.")
            return Principal(id=ANONYMOUS, role=Role.ADMIN, share_model=match.group(1))
        record = self._cached(f"id:{key_id}", lambda: self.keys.get(key_id))
        if record is None or not record.active:
            raise unauthorized("invalid_token", "This image link's key has been revoked.")
        return Principal(id=record.id, role=record.role, share_model=match.group(1))

    def _cached(self, name: str, load) -> ApiKey | None:
        now = time.monotonic()
        hit = self._keys.get(name)
        if hit is not None and hit[0] >= now:
            return hit[1]
        record = load()
        if record is not None and record.active and self.settings.key_cache_s > 0:
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.clear()  # bounded; refilled from Redis as keys come back
            self._keys[name] = (now + self.settings.key_cache_s, record)
        return record


def _query_token(scope: Scope) -> str | None:
    query = scope.get("query_string", b"")
    if b"token=" not in query:
        return None
    values = parse_qs(query.decode("latin-1")).get("token")
    return values[0] if values else None


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIXES):
            authenticator: Authenticator | None = getattr(scope["app"].state, "authenticator", None)
            if authenticator is None:  # the lifespan has not run: nothing can be served yet
                await error_response(503, "not_ready", "The service is starting.")(scope, receive, send)
                return
            try:
                principal = authenticator.principal(scope)
            except ApiError as exc:
                response = error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
                await response(scope, receive, send)
                return
            except redis.RedisError:  # out here the app's handler for it does not apply: the same answer
                await error_response(503, "queue_unavailable", "The job queue (Redis) is not reachable.")(
                    scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
