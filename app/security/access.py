"""Who may see what. A user key sees, uses and deletes only what it created; shipped base models are
public and read-only; an admin sees all. Someone else's dataset, job or model answers 404, exactly
like one that does not exist, so ids cannot be probed."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from app.errors import ApiError, not_found
from app.security.principal import Principal
from jobs.ownership import read_owner
from models import storage


async def get_principal(request: Request) -> Principal:
    """Set by app.security.authentication for every /v1 route."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise ApiError(401, "unauthorized", "No credentials were checked for this request.")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise ApiError(403, "forbidden", "This needs an admin key.")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def require_owner(principal: Principal, owner: str | None, kind: str, item_id: str) -> None:
    """404 unless the principal may see this dataset or job."""
    if not principal.owns(owner):
        raise not_found(kind, item_id)


def dataset_owner(data_dir: Path, dataset_id: str) -> str | None:
    path = storage.dataset_dir(data_dir, dataset_id)
    return None if path is None else read_owner(path)


class ModelOwners:
    """Owners of models by id, read from their folders once: a model's owner never changes, and the
    image routes (and the fast path) ask on every request. `forget` when a model is deleted."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._owners: dict[str, str | None] = {}

    def can_read(self, principal: Principal, model_id: str) -> bool:
        """Shipped bases: everyone; a signed link: its one model; otherwise the owner (and admins)."""
        if principal.share_model is not None:
            return principal.share_model == model_id
        return storage.is_pretrained(model_id) or principal.owns(self.owner(model_id))

    def can_delete(self, principal: Principal, model_id: str) -> bool:
        return principal.owns(self.owner(model_id))

    def owner(self, model_id: str) -> str | None:
        if model_id not in self._owners:
            path = storage.model_dir(self.data_dir, model_id)
            if path is None:
                return None  # not cached: it may be published later
            self._owners[model_id] = read_owner(path)
        return self._owners[model_id]

    def forget(self, model_id: str) -> None:
        self._owners.pop(model_id, None)
