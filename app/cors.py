"""CORS with its refusals in the API's error shape.

Starlette's CORSMiddleware answers a refused preflight (origin, method or header not allowed) with a
text/plain 400; every other error of this API is JSON ({"error": {"code", "message", "details"}}).
Subclassed rather than rewritten: only the body of that one answer changes.
"""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from app.errors import error_response

_BODY_HEADERS = {"content-length", "content-type"}


class JsonErrorCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {key: value for key, value in response.headers.items() if key not in _BODY_HEADERS}
        message = response.body.decode(errors="replace") or "CORS preflight refused."
        return error_response(response.status_code, "cors_refused", f"{message}.", None, headers)
