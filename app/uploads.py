"""Form parsing with a byte cap: files are spooled to disk as they arrive, never all in memory."""
from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from app.errors import ApiError

MAX_TEXT_FIELDS = 16  # name, resolution, val_fraction, seed, with room for mistakes


def too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "too_large", f"The upload is larger than {max_bytes} bytes.", {"max_bytes": max_bytes})


async def read_form(request: Request, *, max_bytes: int, max_files: int) -> FormData:
    """Parse a form body of at most `max_bytes`; the caller closes the returned form.

    A urlencoded body is accepted too (it carries no files, so the caller reports them missing).
    """
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:  # refuse before reading a byte
        raise too_large(max_bytes)
    stream = _capped(request.stream(), max_bytes)  # chunked bodies have no Content-Length
    parser: FormParser | MultiPartParser
    if content_type.startswith("multipart/form-data"):
        parser = MultiPartParser(request.headers, stream, max_files=max_files, max_fields=MAX_TEXT_FIELDS)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        parser = FormParser(request.headers, stream, max_fields=MAX_TEXT_FIELDS)
    else:
        raise ApiError(415, "unsupported_media_type", "Send the upload as multipart/form-data.")
    try:
        return await parser.parse()  # closes its spooled files itself when it fails
    except MultiPartException as exc:
        if str(exc).startswith("Too many files"):
            raise ApiError(413, "too_large", f"More than {max_files} files in one upload.") from exc
        raise ApiError(400, "invalid_form", f"The form body cannot be parsed: {exc.message}") from exc


async def _capped(stream: AsyncIterator[bytes], max_bytes: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > max_bytes:
            raise too_large(max_bytes)
        yield chunk


def split_form(form: FormData, file_fields: tuple[str, ...]) -> tuple[list[UploadFile], dict[str, object]]:
    """(uploaded files under `file_fields`, every other field; a stray file shows as its filename)."""
    files: list[UploadFile] = []
    fields: dict[str, object] = {}
    for key, value in form.multi_items():
        if key in file_fields and isinstance(value, UploadFile):
            files.append(value)
        else:
            fields[key] = value.filename if isinstance(value, UploadFile) else value
    return files, fields
