"""The one way app/ and worker/ get a Redis client; nothing connects at import time."""
from __future__ import annotations

import redis

from jobs.settings import QueueSettings


def connect(settings: QueueSettings) -> redis.Redis:
    """REDIS_URL when set; otherwise the embedded server of DATA_DIR (started on first use)."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    from jobs.embedded_redis import shared_client

    return shared_client(settings.data_dir)
