"""App fixtures: API clients over create_app, sharing Redis, DATA_DIR and queue with the worker fixtures."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from app.settings import Settings


@pytest.fixture(autouse=True)
def _restore_pillow_pixel_limit():
    """create_app sets Pillow's process-wide limit; keep one test's value from leaking into the next."""
    before = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = before


@pytest.fixture
def app_settings(settings) -> Settings:
    return Settings(**settings.model_dump())  # the same Redis, DATA_DIR and queue name as the worker


@pytest.fixture
def make_client(app_settings):
    """make_client(**setting_overrides) -> a started TestClient over a fresh app."""
    clients = []

    def make(raise_server_exceptions: bool = True, **overrides) -> TestClient:
        app = create_app(Settings(**{**app_settings.model_dump(), **overrides}))
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
        client.__enter__()  # runs the lifespan: Redis connection, generator cache
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()
