"""One error shape for every failure: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

import logging
import math
import reprlib
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
    return ApiError(404, f"{kind}_not_found", f"No {kind} with id {short_echo(item_id)!r}.")


def error_response(
    status_code: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    # Exceptions inside pydantic's error context (ValueError, ...) are not JSON: show their text.
    content = jsonable_encoder(body, custom_encoder={Exception: str})
    return JSONResponse(content, status_code=status_code, headers=headers)


MAX_ECHO_CHARS = 64  # of an invalid input (or an unknown key) shown back in a validation error
_ECHO_REPR = reprlib.Repr()  # Python 3.11's Repr takes no keyword arguments
_ECHO_REPR.maxlevel, _ECHO_REPR.maxlist, _ECHO_REPR.maxdict = 2, 4, 4
_ECHO_REPR.maxstring = _ECHO_REPR.maxother = MAX_ECHO_CHARS
MAX_VALIDATION_ERRORS = 20  # errors listed per response; a list of a million bad items is not echoed whole


def validation_details(errors: Any) -> list[dict]:
    """Pydantic's error list, minus the documentation URLs, each echoed input cut to a short prefix.

    The input is echoed as it was when it is a short scalar, otherwise as a prefix of its text:
    a 50 MB body never comes back as a 50 MB error, and NaN or Infinity (which JSON cannot carry)
    come back as text instead of failing the response.
    """
    details = []
    for error in list(errors)[:MAX_VALIDATION_ERRORS]:
        detail = {key: value for key, value in error.items() if key not in ("url", "input", "loc")}
        detail["loc"] = [short_echo(part) if isinstance(part, str) else part for part in error.get("loc", ())]
        if "input" in error:
            detail["input"] = echo_input(error["input"])
        if "ctx" in detail:
            detail["ctx"] = {key: value if isinstance(value, Exception) else echo_input(value)
                             for key, value in detail["ctx"].items()}  # an Exception: our validator's message
        details.append(detail)
    return details


def echo_input(value: Any) -> Any:
    """`value` as it is when it is small and JSON-safe, else a short prefix of its text."""
    if value is None or isinstance(value, (bool, int)) and abs(value) < 2**63:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):
        return short_echo(value)
    return short_echo(_ECHO_REPR.repr(value))  # NaN -> "nan"; a huge list: its first few items


def short_echo(text: str) -> str:
    return text if len(text) <= MAX_ECHO_CHARS else text[:MAX_ECHO_CHARS] + "..."


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
