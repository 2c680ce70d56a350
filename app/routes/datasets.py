"""Upload, list, preview and delete datasets."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app.datasets import store
from app.datasets.ingest import IngestError, Limits, Upload
from app.datasets.options import DatasetOptions
from app.deps import DataDirDep, QueueDep, SettingsDep
from app.errors import ApiError, not_found
from app.schemas import DatasetView, error_responses
from app.security import quotas
from app.security.access import PrincipalDep, dataset_owner, require_owner
from app.security.principal import Principal
from app.security.rate_limits import Action
from app.uploads import read_form, split_form
from jobs.ownership import read_owner
from models import storage
from models.images import encode_png, make_grid

router = APIRouter(prefix="/datasets", tags=["datasets"])

FILE_FIELDS = ("file", "files")
PREVIEW_IMAGES = 64
_INGEST_STATUS = {"too_large": 413, "unsupported_media_type": 415}  # every other ingest error: 422

_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "A .zip of images"},
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Images (PNG, JPEG, WebP, BMP, GIF), instead of a zip",
                        },
                        **DatasetOptions.model_json_schema()["properties"],
                    },
                }
            }
        },
    }
}


@router.post("", status_code=201, response_model=DatasetView, openapi_extra=_UPLOAD_DOC, responses=error_responses(415, 429))
async def create_dataset(request: Request, settings: SettingsDep, principal: PrincipalDep) -> dict:
    """Upload a zip of images (`file`) or several images (`files`); they are normalised and split.
    User keys: RATE_LIMIT_UPLOADS and MAX_STORED_BYTES_PER_KEY apply (429)."""
    await run_in_threadpool(request.app.state.rate_limits.hit, principal, Action.UPLOAD)
    await run_in_threadpool(quotas.check_storage, principal, settings.data_dir, settings)
    # Parsed by hand rather than with Form/File parameters, so the body is capped while it streams.
    form = await read_form(request, max_bytes=settings.max_upload_bytes, max_files=settings.max_images)
    try:
        files, fields = split_form(form, FILE_FIELDS)
        options = _validate_options(files, fields, settings.default_resolution)
        uploads = [Upload(f.filename or "upload", f.file, f.content_type) for f in files]
        limits = Limits(settings.max_images, settings.max_image_pixels, settings.max_upload_bytes,
                        max_decode_pixels=settings.max_decode_pixels, max_decode_seconds=settings.max_decode_seconds)
        meta = await run_in_threadpool(store.create_dataset, settings.data_dir, uploads, options, limits,
                                        principal.id)
    except IngestError as exc:
        raise ApiError(_INGEST_STATUS.get(exc.code, 422), exc.code, str(exc), exc.details) from exc
    finally:
        await form.close()
    return store.public_view(meta, principal.id)


def _validate_options(files: list, fields: dict, default_resolution: int) -> DatasetOptions:
    """Check the text fields like a body model would, so errors look like every other 422."""
    errors = []
    if not files:
        message = "Upload a zip as `file` or images as `files`"
        errors.append({"type": "missing", "loc": ("body", "file"), "msg": message, "input": None})
    fields = {key: value for key, value in fields.items() if value != ""}  # HTML forms send unfilled inputs
    try:
        options = DatasetOptions.model_validate({"resolution": default_resolution, **fields})
    except ValidationError as exc:
        errors += [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
    if errors:
        raise RequestValidationError(errors)
    return options


@router.get("", response_model=list[DatasetView])
def list_datasets(data_dir: DataDirDep, principal: PrincipalDep) -> list[dict]:
    """The datasets this key may see (its own; an admin's: all), newest first."""
    owned = ((meta, read_owner(storage.datasets_root(data_dir) / meta.id)) for meta in store.list_datasets(data_dir))
    return [store.public_view(meta, owner) for meta, owner in owned if principal.owns(owner)]


def visible_dataset(data_dir: Path, dataset_id: str, principal: Principal) -> None:
    """404 for a dataset that does not exist or is someone else's."""
    require_owner(principal, dataset_owner(data_dir, dataset_id), "dataset", dataset_id)


@router.get("/{dataset_id}", response_model=DatasetView)
def get_dataset(dataset_id: str, data_dir: DataDirDep, principal: PrincipalDep) -> dict:
    visible_dataset(data_dir, dataset_id, principal)
    meta = store.read_dataset(data_dir, dataset_id)
    if meta is None:
        raise not_found("dataset", dataset_id)
    return store.public_view(meta, dataset_owner(data_dir, dataset_id))


@router.get("/{dataset_id}/preview.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def get_preview(dataset_id: str, data_dir: DataDirDep, principal: PrincipalDep) -> Response:
    """A grid of the first 64 images, training images first."""
    visible_dataset(data_dir, dataset_id, principal)
    images = store.load_images(data_dir, dataset_id, PREVIEW_IMAGES)
    if images is None:
        raise not_found("dataset", dataset_id)
    # A dataset never changes after upload, so its preview can be cached for good.
    # private: it was sent to one key, and shared caches must not hand it to others.
    headers = {"Cache-Control": "private, max-age=31536000, immutable"}
    return Response(encode_png(make_grid(images)), media_type="image/png", headers=headers)


@router.delete("/{dataset_id}", status_code=204, response_class=Response, responses=error_responses(409))
def delete_dataset(dataset_id: str, data_dir: DataDirDep, queue: QueueDep, principal: PrincipalDep) -> Response:
    """Delete a dataset no queued or running job uses."""
    visible_dataset(data_dir, dataset_id, principal)
    if store.read_dataset(data_dir, dataset_id) is None:
        raise not_found("dataset", dataset_id)
    active = queue.active_jobs_for_dataset(dataset_id)
    if active:
        message = f"Dataset {dataset_id!r} is used by {len(active)} queued or running job(s); cancel them first."
        raise ApiError(409, "dataset_in_use", message, {"job_ids": active})
    if not store.delete_dataset(data_dir, dataset_id):
        raise not_found("dataset", dataset_id)
    return Response(status_code=204)
