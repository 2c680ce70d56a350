"""A byte cap on every request body but the dataset upload's (which app.uploads caps itself, at MAX_UPLOAD_BYTES).

Starlette and FastAPI read a JSON body whole before validating it, so without a cap a client decides
how much memory a request takes. A declared Content-Length over the cap is refused before a byte is
read; a chunked body is counted as it arrives and refused once it passes the cap. Both are 413 in the
error shape. Custom because neither Starlette nor uvicorn offers a request-size limit.
"""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ApiError, error_response

UPLOAD_PATH = "/v1/datasets"  # POST: multipart, streamed to disk under its own, larger cap


def body_too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "too_large", f"The request body is larger than {max_bytes} bytes.", {"max_bytes": max_bytes})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            error = body_too_large(self.max_bytes)
            response = error_response(error.status_code, error.code, error.message, error.details,
                                      {"Connection": "close"})  # the unread body is not drained
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # FastAPI passes an HTTPException on (app.errors renders it)
                    raise HTTPException(413, body_too_large(self.max_bytes).message)
            return message

        return counted
