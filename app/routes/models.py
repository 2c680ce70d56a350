"""List, describe and delete trained models (and the shipped base models)."""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, Response

from app.deps import DataDirDep, GeneratorsDep, ModelDirDep, ModelOwnersDep, QueueDep
from app.errors import ApiError, not_found
from app.security.access import PrincipalDep
from app.schemas import ModelView, error_responses
from jobs.ownership import read_owner
from models import storage

router = APIRouter(prefix="/models", tags=["models"])


def model_view(model_dir: Path) -> dict:
    """model.json as the API shows it; the folder name is the id."""
    card = storage.read_json(model_dir / storage.MODEL_CARD)
    model_id = model_dir.name
    return {
        "id": model_id,
        **{key: card.get(key) for key in ("family", "architecture", "resolution", "latent_dim")},
        **{key: card.get(key) for key in ("parent_id", "dataset_id", "job_id", "created_at")},
        "metrics": card.get("metrics") or {},
        "card": card.get("card") or {},
        "deletable": not storage.is_pretrained(model_id),
        "owner": read_owner(model_dir),
    }


@router.get("", response_model=list[ModelView])
def list_models(data_dir: DataDirDep, principal: PrincipalDep, owners: ModelOwnersDep) -> list[dict]:
    """Shipped base models first, then the trained models this key may see, newest first."""
    views = [model_view(path) for path in storage.list_model_dirs(data_dir) if owners.can_read(principal, path.name)]
    bases = [view for view in views if not view["deletable"]]
    trained = sorted((v for v in views if v["deletable"]), key=lambda v: v["created_at"] or "", reverse=True)
    return bases + trained


@router.get("/{model_id}", response_model=ModelView)
def get_model(model_dir: ModelDirDep) -> dict:
    return model_view(model_dir)


@router.delete("/{model_id}", status_code=204, response_class=Response, responses=error_responses(409))
def delete_model(
    model_id: str, model_dir: ModelDirDep, data_dir: DataDirDep, queue: QueueDep, generators: GeneratorsDep,
    principal: PrincipalDep, owners: ModelOwnersDep,
) -> Response:
    """Delete a trained model; base models that ship with the service cannot be deleted."""
    if storage.is_pretrained(model_id):
        raise ApiError(409, "model_protected", f"{model_id!r} is a shipped base model and cannot be deleted.")
    if not owners.can_delete(principal, model_id):
        raise not_found("model", model_id)
    users = queue.active_jobs_for_model(model_id)
    if users:
        message = f"Model {model_id!r} is the base of {len(users)} queued or running job(s); cancel them first."
        raise ApiError(409, "model_in_use", message, {"job_ids": users})
    trash = storage.staging_dir(data_dir)
    os.replace(model_dir, trash / model_id)  # gone for readers in one rename
    storage.remove_dir(trash)
    generators.evict(model_id)
    owners.forget(model_id)
    return Response(status_code=204)
