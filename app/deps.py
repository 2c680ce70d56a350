"""Request dependencies. The objects live on app.state, made by the lifespan, never at import time.

The accessors are `async def` although they await nothing: FastAPI runs a plain `def` dependency in
its thread pool, a thread hop per dependency per request that the image routes cannot afford.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from app.errors import not_found
from app.generation import GeneratorCache
from app.rendering import Renderer
from app.security.access import ModelOwners, PrincipalDep
from app.settings import Settings
from models import storage
from jobs.queue import JobQueue


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_data_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir)


async def get_queue(request: Request) -> JobQueue:
    return request.app.state.queue


async def get_generators(request: Request) -> GeneratorCache:
    return request.app.state.generators


async def get_renderer(request: Request) -> Renderer:
    return request.app.state.renderer


async def get_model_owners(request: Request) -> ModelOwners:
    return request.app.state.model_owners


SettingsDep = Annotated[Settings, Depends(get_settings)]
DataDirDep = Annotated[Path, Depends(get_data_dir)]
QueueDep = Annotated[JobQueue, Depends(get_queue)]
GeneratorsDep = Annotated[GeneratorCache, Depends(get_generators)]
RendererDep = Annotated[Renderer, Depends(get_renderer)]
ModelOwnersDep = Annotated[ModelOwners, Depends(get_model_owners)]


def require_readable_model(model_id: str, principal: PrincipalDep, owners: ModelOwnersDep) -> str:
    """The `model_id` path parameter, or a 404 when this key may not read that model (app.security.access)."""
    if not owners.can_read(principal, model_id):
        raise not_found("model", model_id)
    return model_id


ReadableModelDep = Annotated[str, Depends(require_readable_model)]


def require_model_dir(model_id: ReadableModelDep, data_dir: DataDirDep) -> Path:
    """The run folder of the `model_id` path parameter, or a 404 (unknown, or not this key's)."""
    path = storage.model_dir(data_dir, model_id)
    if path is None:
        raise not_found("model", model_id)
    return path


ModelDirDep = Annotated[Path, Depends(require_model_dir)]
