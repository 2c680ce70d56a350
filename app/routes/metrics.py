"""Prometheus scrape endpoint."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.security.access import AdminDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request, admin: AdminDep) -> Response:
    """Plain `def`: the jobs collector reads Redis, so the scrape runs in the thread pool.
    Admin keys only (Prometheus: `authorization: {credentials: <key>}`): it counts everyone's jobs."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
