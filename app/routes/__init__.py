"""HTTP routes, one module per resource, assembled into one router."""
from fastapi import APIRouter

from app.routes import (datasets, health, images, job_metrics, jobs, keys, metrics, model_samples, models,
                        share_links)
from app.schemas import COMMON_ERRORS

api_router = APIRouter(responses=COMMON_ERRORS)  # in the OpenAPI spec, instead of FastAPI's own 422 shape
api_router.include_router(images.router, prefix="/v1")  # first: the most requested, matched in order
api_router.include_router(health.router)
api_router.include_router(metrics.router)
api_router.include_router(datasets.router, prefix="/v1")
api_router.include_router(models.router, prefix="/v1")
api_router.include_router(model_samples.router, prefix="/v1")
api_router.include_router(jobs.router, prefix="/v1")
api_router.include_router(job_metrics.router, prefix="/v1")
api_router.include_router(share_links.router, prefix="/v1")
api_router.include_router(keys.router, prefix="/v1")
