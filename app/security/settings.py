"""Security settings from the environment (mixed into app.settings.Settings); names are the upper-cased fields."""
from __future__ import annotations

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

GB = 1024**3
DAY = 24 * 3600


class SecuritySettings(BaseSettings):
    # HOST: the address the API is bound to (app.serve passes its own; set it when running uvicorn
    # yourself). With no API keys, a non-loopback HOST refuses to start unless ALLOW_ANONYMOUS=true.
    host: str = "127.0.0.1"
    allow_anonymous: bool = False  # ALLOW_ANONYMOUS: no keys on a network address, everyone admin, on purpose
    key_cache_s: float = Field(2.0, ge=0)  # KEY_CACHE_S: a key checked in Redis is trusted this long (revocation lag)
    share_secret: str | None = None  # SHARE_SECRET signs image links; unset: a random one kept in Redis
    share_max_ttl_s: int = Field(30 * DAY, ge=1)  # SHARE_MAX_TTL_S: the longest an image link may live

    # What one user key may hold or ask for (admin keys and anonymous mode are not limited).
    max_active_jobs_per_key: int = Field(2, ge=1)  # MAX_ACTIVE_JOBS_PER_KEY: queued + running
    max_active_steps_per_key: int = Field(100_000, ge=1)  # MAX_ACTIVE_STEPS_PER_KEY: summed over those jobs
    max_job_batch_size: int = Field(128, ge=1)  # MAX_JOB_BATCH_SIZE
    max_job_base_channels: int = Field(256, ge=1)  # MAX_JOB_BASE_CHANNELS: network width (from scratch)
    max_stored_bytes_per_key: int = Field(2 * GB, ge=1)  # MAX_STORED_BYTES_PER_KEY: its datasets and models
    # Requests per user key on the expensive routes, in the `limits` notation ("10/second;100/hour").
    rate_limit_uploads: str = "1/second;30/hour"  # RATE_LIMIT_UPLOADS: POST /v1/datasets
    rate_limit_jobs: str = "1/second;60/hour"  # RATE_LIMIT_JOBS: POST /v1/jobs
    rate_limit_images: str = "100/second"  # RATE_LIMIT_IMAGES: images not in the cache (a grid counts its images)

    @field_validator("rate_limit_uploads", "rate_limit_jobs", "rate_limit_images")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_many(value)  # ValueError at start-up, not on the first request
        return value
