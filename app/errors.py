"""One error shape for every failure: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

# Codes for errors Starlette raises itself (unknown route, wrong method, ...).
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


class ApiError(Exception):
    """An error meant for the client: raise it anywhere in a request and the handler renders it."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def not_found(kind: str, item_id: str) -> ApiError:
    return ApiError(404, f"{kind}_not_found", f"No {kind} with id {item_id!r}.")


def error_response(
    status_code: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    # Exceptions inside pydantic's error context (ValueError, ...) are not JSON: show their text.
    content = jsonable_encoder(body, custom_encoder={Exception: str})
    return JSONResponse(content, status_code=status_code, headers=headers)


def validation_details(errors: Any) -> list[dict]:
    """Pydantic's error list, minus the documentation URLs."""
    return [{key: value for key, value in error.items() if key != "url"} for error in errors]


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = validation_details(exc.errors())
    return error_response(422, "validation_error", "The request is not valid.", details)


async def _queue_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("redis unavailable: %s", exc)
    return error_response(503, "queue_unavailable", "The job queue (Redis) is not reachable.")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback after rendering this; the client sees no internals.
    return error_response(500, "internal_error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RedisConnectionError, _queue_unavailable)
    app.add_exception_handler(RedisTimeoutError, _queue_unavailable)
    app.add_exception_handler(Exception, _unexpected)
