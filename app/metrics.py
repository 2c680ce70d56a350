"""Prometheus metrics: HTTP requests by route, generator batches, image cache, jobs by status.

Each app has its own registry (several apps in one test process never share counters).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobs.status import JobStatus

HANDLER_KEY = "transfergen.handler"  # set by layers that answer without a route (app.fastpath)

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 24, 32, 48, 64, 128, 256)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "transfergen_http_requests", "HTTP requests answered.", ["method", "handler", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "transfergen_http_request_duration_seconds", "Time to answer an HTTP request.", ["handler"],
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.batch_size = Histogram(
            "transfergen_generator_batch_size", "Images per generator call (before padding).",
            buckets=_BATCH_BUCKETS, registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "transfergen_generator_batch_duration_seconds",
            "Time of one batched generator call (PNG encoding follows, beside the next call).",
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.cache = Counter(
            "transfergen_image_cache_lookups", "Image cache lookups: hit, miss, or joined (shared an image in flight).",
            ["result"], registry=self.registry,
        )
        self._cache_children = {result: self.cache.labels(result) for result in ("hit", "miss", "joined")}

    def observe_request(self, method: str, handler: str, status: int, seconds: float) -> None:
        self.requests.labels(method, handler, str(status)).inc()
        self.latency.labels(handler).observe(seconds)

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def count_cache(self, result: str) -> None:
        self._cache_children[result].inc()

    def watch_jobs(self, get_queue: Callable[[], Any]) -> None:
        """Report jobs by status at each scrape, read from the queue `get_queue()` returns (or None)."""
        self.registry.register(_JobsCollector(get_queue))


class _JobsCollector(Collector):
    def __init__(self, get_queue: Callable[[], Any]) -> None:
        self._get_queue = get_queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = self._get_queue()
        if queue is None:
            return
        try:
            jobs = queue.list()
        except Exception as exc:  # Redis down: the scrape still answers, without this family
            log.warning("jobs metric skipped: %s", exc)
            return
        counts = dict.fromkeys(JobStatus, 0)
        for job in jobs:
            counts[job.status] += 1
        family = GaugeMetricFamily(
            "transfergen_jobs", "Training jobs remembered by the queue, by status.", labels=["status"]
        )
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware task per request): counts and times every HTTP request.

    Requests are labelled by the matched route's name (its endpoint function, "get_image"), never by
    the raw path, so label sets stay few; FastAPI's route object knows its path only relative to its
    router's prefix, the name is unique on its own.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            handler = scope.get(HANDLER_KEY) or getattr(scope.get("route"), "name", None) or "unmatched"
            self.metrics.observe_request(scope["method"], handler, status, time.perf_counter() - started)
