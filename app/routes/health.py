"""Liveness (the process answers) and readiness (Redis and DATA_DIR usable)."""
from __future__ import annotations

import tempfile

from fastapi import APIRouter

from app.deps import DataDirDep, QueueDep
from app.errors import ApiError
from app.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    return {"status": "ok"}  # no dependencies: a slow Redis must not get the process restarted


@router.get("/readyz", response_model=Health, responses={503: {"description": "Redis or DATA_DIR unusable"}})
def readyz(queue: QueueDep, data_dir: DataDirDep) -> dict:
    problems = {}
    try:
        if not queue.ping():
            problems["redis"] = "ping failed"
    except Exception as exc:  # any failure to reach Redis means not ready
        problems["redis"] = str(exc) or type(exc).__name__
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        problems["data_dir"] = f"{data_dir} is not writable: {exc}"
    if problems:
        raise ApiError(503, "not_ready", "The service is not ready.", problems)
    return {"status": "ok"}
