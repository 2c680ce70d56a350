"""Shareable image links for a model: a signed, expiring `token` query parameter (app.security.share_links)
that opens its images, grids, interpolations and samples.png to anyone with the URL, e.g. an `<img>`."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.deps import ReadableModelDep
from app.errors import ApiError
from app.security.access import PrincipalDep

router = APIRouter(prefix="/models", tags=["models"])
DAY = 24 * 3600


class ShareRequest(BaseModel):
    model_config = {"extra": "forbid"}

    ttl_s: int = Field(7 * DAY, ge=60, description="How long the link works; at most SHARE_MAX_TTL_S.")


class ShareLink(BaseModel):
    token: str
    expires_at: str
    image_url: str  # an example: seed 0; the same `token` works on any seed, grid or interpolation of the model


@router.post("/{model_id}/share", response_model=ShareLink)
def share_model(model_id: ReadableModelDep, request: Request, principal: PrincipalDep,
                body: ShareRequest | None = None) -> dict:
    """A link token for this model's images, made by (and revoked with) this key."""
    ttl = (body or ShareRequest()).ttl_s
    limit = request.app.state.settings.share_max_ttl_s
    if ttl > limit:
        raise ApiError(422, "ttl_too_long", f"A link may live at most {limit} s (SHARE_MAX_TTL_S).", {"max": limit})
    expires = int(time.time()) + ttl
    token = request.app.state.signer.sign(model_id, principal.id, expires)
    return {"token": token, "expires_at": datetime.fromtimestamp(expires, timezone.utc).isoformat(),
            "image_url": f"/v1/models/{model_id}/images/0.png?token={token}"}
