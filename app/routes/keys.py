"""API keys over HTTP, for admin keys only: create (the key is in the answer, once), list, revoke.
The same store as `python -m jobs.keys` (jobs.keys)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.errors import ApiError, not_found
from app.schemas import error_responses
from app.security.access import AdminDep
from jobs.keys import Role
from jobs.keys.store import MAX_NAME_CHARS

router = APIRouter(prefix="/keys", tags=["keys"], responses=error_responses(403))


class KeyRequest(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    role: Role


class KeyView(BaseModel):
    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None


class NewKeyView(KeyView):
    key: str  # shown this once; only its SHA-256 is stored


@router.post("", status_code=201, response_model=NewKeyView)
def create_key(body: KeyRequest, request: Request, admin: AdminDep) -> dict:
    """Make a key; keep `key` now, it cannot be shown again."""
    try:
        made = request.app.state.keys.create(body.name, body.role)
    except ValueError as exc:
        raise ApiError(422, "invalid_key_name", str(exc)) from exc
    request.app.state.authenticator.forget()  # anonymous mode ends with the first key, here at once
    return {**made.record.public(), "key": made.key}


@router.get("", response_model=list[KeyView])
def list_keys(request: Request, admin: AdminDep) -> list[dict]:
    """Every key, revoked ones too, oldest first; never the keys themselves."""
    return [record.public() for record in request.app.state.keys.list()]


@router.delete("/{key_id}", response_model=KeyView)
def revoke_key(key_id: str, request: Request, admin: AdminDep) -> dict:
    """Revoke a key for good (idempotent). What it made stays, owned by its id: admins still see it."""
    record = request.app.state.keys.revoke(key_id)
    if record is None:
        raise not_found("key", key_id)
    request.app.state.authenticator.forget()  # this process stops accepting it now; others within KEY_CACHE_S
    return record.public()
