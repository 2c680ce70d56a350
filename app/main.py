"""The FastAPI app factory: `uvicorn --factory app.main:create_app`."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from PIL import Image

from app.body_limit import BodyLimit
from app.byte_cache import ByteCache
from app.cors import JsonErrorCORSMiddleware
from app.errors import install_error_handlers
from app.fastpath import ImageFastPath
from app.frontend import install_frontend
from app.generation import GeneratorCache
from app.metrics import Metrics, MetricsMiddleware
from app.rendering import Renderer
from app.routes import api_router
from app.security.authentication import AuthenticationMiddleware
from app.security.setup import start_security
from app.settings import Settings
from jobs.connection import connect
from jobs.queue import JobQueue
from jobs.webhooks import WebhookDispatcher
from models import storage


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # Uploads killed mid-way (the process died) leave their staging folders behind: remove the stale ones.
    storage.remove_stale_staging(settings.data_dir, settings.stale_staging_s)
    connection = connect(settings)  # here, not at import: importing the app touches no Redis
    app.state.queue = JobQueue(connection, settings)
    try:
        start_security(app.state, connection, settings)  # keys, links, rate limits; refuses an open anonymous bind
    except BaseException:
        connection.close()
        raise
    metrics: Metrics = app.state.metrics
    app.state.generators = GeneratorCache(
        settings.data_dir, settings.generator_cache_size, settings.generator_memory_bytes,
        settings.model_check_interval_s, settings.batch_max_size, settings.batch_max_wait_ms / 1000,
        on_batch=metrics.observe_batch,
    )
    app.state.renderer = Renderer(ByteCache(settings.image_cache_bytes), on_cache=metrics.count_cache)
    # Job webhooks are POSTed from here, a thread of the API process, never from training.
    webhooks = WebhookDispatcher(connection, settings).start() if settings.webhook_secret else None
    try:
        yield
    finally:
        if webhooks is not None:
            webhooks.stop()
        connection.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels  # Pillow's decompression-bomb guard is process-wide
    # /docs with Swagger UI served by the app (fastapi-offline), not from a CDN; no online validator. No
    # /redoc: its page still loads a logo from the internet.
    app = FastAPIOffline(title="transfergen", version="1", lifespan=lifespan, static_url="/docs-assets",
                         redoc_url=None, swagger_ui_parameters={"validatorUrl": None})
    app.state.settings = settings
    app.state.metrics = metrics = Metrics()
    metrics.watch_jobs(lambda: getattr(app.state, "queue", None))  # the queue exists once the lifespan runs
    # The last added runs first: metrics -> CORS -> authentication -> image fast path -> body limit -> the routes.
    app.add_middleware(BodyLimit, max_bytes=settings.max_json_bytes)
    app.add_middleware(ImageFastPath)
    app.add_middleware(AuthenticationMiddleware)
    app.add_middleware(JsonErrorCORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"])
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    install_error_handlers(app)
    app.include_router(api_router)
    install_frontend(app)  # / and /ui/: the browser frontend, after the API routes
    return app
