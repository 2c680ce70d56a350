"""Liveness (the process answers) and readiness (Redis and DATA_DIR usable)."""
from __future__ import annotations

import logging
import tempfile

from fastapi import APIRouter

from app.deps import DataDirDep, QueueDep
from app.errors import ApiError
from app.schemas import Health

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    return {"status": "ok"}  # no dependencies: a slow Redis must not get the process restarted


@router.get("/readyz", response_model=Health, responses={503: {"description": "Redis or DATA_DIR unusable"}})
def readyz(queue: QueueDep, data_dir: DataDirDep) -> dict:
    # The answer names what is wrong, never paths or error text (anyone may ask); the log has the detail.
    problems = {}
    try:
        if not queue.ping():
            problems["redis"] = "not reachable"
    except Exception as exc:  # any failure to reach Redis means not ready
        log.warning("readyz: Redis: %s", exc)
        problems["redis"] = "not reachable"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        log.warning("readyz: DATA_DIR %s: %s", data_dir, exc)
        problems["data_dir"] = "not writable"
    if problems:
        raise ApiError(503, "not_ready", "The service is not ready.", problems)
    return {"status": "ok"}
