"""Prometheus metrics: request counts and latency per route, at ``GET /metrics``.

One plain ASGI middleware (:class:`RequestMetrics`) updates two series per request —
``http_requests_total{method, handler, status}`` (status grouped as ``2xx``, ``4xx``, …)
and ``http_request_duration_seconds{method, handler}`` (eleven buckets, one of them at
the suggestions' 50 ms target) — under the route *template* (``handler``; ``none`` when
no route matched), never the raw path. The labelled children are looked up once per
label set and kept, so a request costs two dictionary look-ups, one increment and one
observation; ``/metrics`` itself is not counted.

Each application has its own registry (several apps may live in one process, e.g. in
tests). With ``PROMETHEUS_MULTIPROC_DIR`` set (several uvicorn workers) the series are
written to that folder and ``/metrics`` collects every worker's (prometheus_client's
multiprocess mode).
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from api.service.logs import call_observed

ENDPOINT = "/metrics"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Latency buckets in seconds (50 ms: the suggestions' p99 target)."""
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"


class Series:
    """The two request series of one registry, with their labelled children kept."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "Requests by method, route template and status class.",
            ("method", "handler", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template.",
            ("method", "handler"),
            buckets=BUCKETS,
            registry=registry,
        )
        self._counts: dict[tuple[str, str, int], Counter] = {}
        self._times: dict[tuple[str, str], Histogram] = {}

    def observe(self, method: str, handler: str, status: int, seconds: float) -> None:
        """Count one request and record its duration."""
        key = (method, handler, status // 100)
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = self.requests.labels(method, handler, f"{key[2]}xx")
        count.inc()
        timed = self._times.get(key[:2])
        if timed is None:
            timed = self._times[key[:2]] = self.duration.labels(method, handler)
        timed.observe(seconds)


class RequestMetrics:
    """ASGI middleware: :meth:`Series.observe` for every HTTP request but ``/metrics``."""

    def __init__(self, app: ASGIApp, series: Series) -> None:
        self.app, self.series = app, series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == ENDPOINT:
            await self.app(scope, receive, send)
            return

        def done(status: int, seconds: float) -> None:
            handler = getattr(scope.get("route"), "path", None) or "none"
            self.series.observe(scope["method"], handler, status, seconds)

        await call_observed(self.app, scope, receive, send, done)


def install(app: FastAPI) -> None:
    """Add the middleware (outermost but for Starlette's error handler) and ``GET /metrics``."""
    registry = CollectorRegistry(auto_describe=True)
    app.add_middleware(RequestMetrics, series=Series(registry))

    def metrics(request: Request) -> Response:
        """The request series in Prometheus' text format."""
        source = registry
        if MULTIPROCESS in os.environ:
            source = CollectorRegistry()
            multiprocess.MultiProcessCollector(source)  # type: ignore[no-untyped-call]
        return Response(generate_latest(source), media_type=CONTENT_TYPE_LATEST)

    app.get(ENDPOINT, include_in_schema=False)(metrics)
