"""app.settings: values from the environment."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


@pytest.mark.parametrize(
    ("raw", "origins"),
    [("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
     ('["https://a.example"]', ["https://a.example"]),
     ("", [])],
)
def test_cors_origins_comma_separated_or_json(monkeypatch, raw, origins):
    monkeypatch.setenv("CORS_ORIGINS", raw)
    assert Settings().cors_origins == origins


def test_defaults_and_resolution_check(monkeypatch):
    for name in ("MAX_UPLOAD_BYTES", "MAX_IMAGES", "MAX_IMAGE_PIXELS", "DEFAULT_RESOLUTION"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.max_upload_bytes, settings.max_images, settings.max_image_pixels) == (200 * 2**20, 5000, 4096**2)
    assert settings.default_resolution == 64
    monkeypatch.setenv("DEFAULT_RESOLUTION", "48")
    with pytest.raises(ValidationError):
        Settings()
