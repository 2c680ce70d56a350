"""API settings from the environment: the queue settings plus HTTP and upload limits."""
from __future__ import annotations

import json
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from app.datasets.options import Resolution
from app.security.settings import SecuritySettings
from jobs.settings import QueueSettings

MB = 1024 * 1024


class Settings(QueueSettings, SecuritySettings):
    """Everything the API process reads from the environment (names are the upper-cased fields);
    keys, quotas and rate limits are in app.security.settings."""

    # CORS_ORIGINS: "https://a.example,https://b.example" or a JSON list; empty: no CORS headers.
    cors_origins: Annotated[list[str], NoDecode] = []
    max_upload_bytes: int = Field(200 * MB, ge=1)  # whole request body, and unzipped archive contents
    max_json_bytes: int = Field(1 * MB, ge=1024)  # every other request body (JSON); 413 beyond it
    max_images: int = Field(5000, ge=1)  # images (and candidate files in a zip) per dataset
    max_image_pixels: int = Field(4096 * 4096, ge=1)  # per image; Pillow's decompression-bomb guard
    max_decode_pixels: int = Field(2**31, ge=1)  # per upload: pixels of all its images, from their headers
    max_decode_seconds: float = Field(120.0, gt=0)  # per upload: CPU seconds decoding and resizing its images
    # STALE_STAGING_S: at start-up, staging folders (DATA_DIR/tmp/...) untouched this long are removed;
    # younger ones may belong to another API process's upload in progress.
    stale_staging_s: float = Field(3600.0, ge=0)
    default_resolution: Resolution = 64  # dataset side length when the upload names none
    generator_cache_size: int = Field(4, ge=1)  # loaded generators kept in memory, least recent evicted
    generator_memory_bytes: int = Field(1024 * MB, ge=1)  # and their estimated memory (weights + activations)
    model_check_interval_s: float = Field(1.0, ge=0)  # a loaded model's files are checked this often for new weights
    batch_max_size: int = Field(32, ge=1, le=1024)  # image requests gathered into one generator call
    batch_max_wait_ms: float = Field(3.0, ge=0, le=1000)  # how long a request may wait for others to join it
    image_cache_bytes: int = Field(64 * MB, ge=0)  # encoded images kept in memory (0: no cache)
    max_grid_images: int = Field(64, ge=1)  # per grid.png
    max_interpolation_steps: int = Field(32, ge=2)  # frames per interpolate.png / .gif
    max_zip_images: int = Field(256, ge=1, le=4096)  # per POST /v1/models/{id}/images (its schema: 4096 at most)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value
