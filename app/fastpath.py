"""Images by seed without FastAPI's routing and dependency solving, once their model is loaded.

FastAPI's per-request work (~150 us: routing through the included routers, dependencies, parameter
validation) is most of what a cached image costs, and CPU the generator could use for an uncached one.
This ASGI layer answers `GET /v1/models/{id}/images/{seed}.png[?truncation=psi]` itself when the model
is loaded and needs no look at its files, for a principal that may read it (app.security): a 304
when the client's ETag matches, else the PNG from the byte cache or the micro-batcher, through the same
Renderer as the route. Anything else (a model not loaded, any odd spelling of the path or query, an
error) goes on to the route in app.routes.images, which defines the behaviour and its errors; this
answers with the same bytes and headers.
"""
from __future__ import annotations

import math
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from app.etags import etag_matches, image_etag
from app.metrics import HANDLER_KEY
from app.routes.images import CACHE_FOREVER, SEED_RE
from models.ids import ID_CHARS
from models.latents import MAX_SEED

_PATH_RE = re.compile(rf"/v1/models/({ID_CHARS})/images/([^/]+)\.png")
_QUERY_RE = re.compile(rb"truncation=([0-9]{0,3}(?:\.[0-9]{1,20})?)")


class ImageFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await self._answer(scope)
            if answer is not None:
                status, headers, body = answer
                scope[HANDLER_KEY] = "get_image"
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        match = _PATH_RE.fullmatch(scope["path"])
        if match is None:
            return None
        model_id, seed_text = match.groups()
        if not SEED_RE.fullmatch(seed_text) or int(seed_text) >= MAX_SEED:
            return None  # the route answers 422
        truncation = _truncation(scope["query_string"])
        if truncation is None:
            return None
        state = scope["app"].state
        generators = getattr(state, "generators", None)  # None until the lifespan ran
        model = generators.peek(model_id) if generators is not None else None
        if model is None:
            return None
        principal = scope.get("state", {}).get("principal")  # app.security.authentication put it there
        if principal is None or not state.model_owners.can_read(principal, model_id):
            return None  # the route answers 404 (or 401)
        seed = int(seed_text)
        etag = image_etag(model.fingerprint, seed, truncation)
        headers = [(b"etag", etag.encode()), (b"cache-control", CACHE_FOREVER.encode())]
        if etag_matches(_header(scope, b"if-none-match"), etag):
            return 304, headers, b""
        if principal.limited and not state.renderer.has_image(model, seed, truncation):
            return None  # the route counts it against the key's image rate limit
        try:
            png = await state.renderer.image_png(model, seed, truncation)
        except Exception:  # the route tries again and answers the error in the API's shape
            return None
        headers += [(b"content-length", str(len(png)).encode()), (b"content-type", b"image/png")]
        return 200, headers, png


def _truncation(query: bytes) -> float | None:
    """1.0 for no query, psi for exactly `truncation=<plain decimal in [0, 1]>`, else None (the route decides)."""
    if not query:
        return 1.0
    match = _QUERY_RE.fullmatch(query)
    if match is None or match.group(1) in (b"", b"."):
        return None
    value = float(match.group(1))
    return value if 0.0 <= value <= 1.0 and math.isfinite(value) else None


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope["headers"] if key == name]
    return ", ".join(values) if values else None
