"""Requests per user key on the expensive routes, counted in Redis by the `limits` library (sliding
window counters, shared by every API process). Over the limit: 429 with Retry-After."""
from __future__ import annotations

import enum
import math
import time

import redis
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from app.errors import ApiError
from app.security.principal import Principal
from app.security.settings import SecuritySettings


class Action(str, enum.Enum):
    UPLOAD = "uploads"  # POST /v1/datasets
    JOB = "jobs"  # POST /v1/jobs
    IMAGE = "images"  # images not in the cache; a grid or zip counts each image it has to make


def too_many(code: str, message: str, retry_after_s: int, details: dict | None = None) -> ApiError:
    retry_after_s = max(1, retry_after_s)
    return ApiError(429, code, message, {**(details or {}), "retry_after_s": retry_after_s},
                    headers={"Retry-After": str(retry_after_s)})


class RateLimits:
    def __init__(self, conn: redis.Redis, queue_name: str, settings: SecuritySettings):
        # The app's own connection pool: the embedded Redis is a unix socket that no URL names here.
        storage = RedisStorage("redis://", connection_pool=conn.connection_pool,
                               key_prefix=f"transfergen:ratelimit:{queue_name}")
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.rules: dict[Action, list[RateLimitItem]] = {
            Action.UPLOAD: parse_many(settings.rate_limit_uploads),
            Action.JOB: parse_many(settings.rate_limit_jobs),
            Action.IMAGE: parse_many(settings.rate_limit_images),
        }

    def hit(self, principal: Principal, action: Action, cost: int = 1) -> None:
        """Count `cost` requests for a user key (admins are not limited); 429 when one limit is full."""
        if not principal.limited or cost <= 0:
            return
        for item in self.rules[action]:
            charge = min(cost, item.amount)  # a 64-image grid under 50/second still goes through, alone
            if not self.limiter.hit(item, action.value, principal.id, cost=charge):
                reset = self.limiter.get_window_stats(item, action.value, principal.id).reset_time
                retry = math.ceil(reset - time.time())
                raise too_many("rate_limited", f"Too many {action.value} for this key: at most {item}.",
                               retry, {"limit": str(item)})
