"""A model card's sample grid (samples.png, written when its training ended), as a file."""
from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Response

from app.deps import ModelDirDep
from app.errors import ApiError
from app.routes.images import etag_matches
from models import storage

router = APIRouter(prefix="/models", tags=["models"])


@router.get("/{model_id}/samples.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}, 304: {"description": "Not modified"}})
def get_samples(model_id: str, model_dir: ModelDirDep,
                if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The sample grid saved with the model, the picture of its card; 404 for a model saved without one."""
    try:
        data = (model_dir / storage.SAMPLES_FILE).read_bytes()
    except FileNotFoundError:
        raise ApiError(404, "samples_not_found", f"Model {model_id!r} was saved without a samples.png.") from None
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}  # a model id could be reused after a delete: revalidate
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/png", headers=headers)
