"""The browser frontend: plain ES modules and CSS in static/, served as they are (no build step, no Node).

`/` is the single page (index.html); its modules, styles and icon are under `/ui/`. Everything the
page shows comes from the public `/v1` API: the frontend has no endpoints of its own.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The page may talk to this server only: no CDN, font or analytics request can slip in unnoticed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
# Revalidate on every load (ETag / Last-Modified make it a 304): a new version is picked up at once.
NO_CACHE = {"Cache-Control": "no-cache"}


class FrontendFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(NO_CACHE)
        return response


async def index() -> FileResponse:
    headers = {**NO_CACHE, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=headers)


def install_frontend(app: FastAPI) -> None:
    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.mount("/ui", FrontendFiles(directory=STATIC_DIR), name="ui")
