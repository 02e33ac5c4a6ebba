"""Prometheus metrics shared by the content API and auth: the HTTP side of every request, and
the scrape endpoint (`GET /api/metrics`, `GET /auth/metrics`) in Prometheus' text format.

A service with several Sanic workers (the content API with `API_WORKERS` > 1) keeps its figures
in a directory of per-process files (prometheus-client's multiprocess mode): `use_directory`
names it before the workers start, and a scrape of any worker adds up every worker's figures.
One process keeps them in memory. Either way a scrape sees the whole service.

Each service defines its own metrics beside these (`api/metrics.py`, `auth/metrics.py`); every
name starts with `cinema_`. The route label is the route's template (`/api/v1/films/<film_id:str>`),
never the path a client sent, so that the number of series stays bounded; requests that match no
route share `<unmatched>`.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sanic import HTTPResponse, Request, Sanic
from sanic.response import BaseHTTPResponse

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"
# From a cache hit (well under a millisecond) to a request at its timeout (seconds).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "cinema_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "cinema_http_request_duration_seconds",
    "Time from a request's arrival to its response, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)


def use_directory(directory: Path) -> None:
    """Multiprocess mode for the workers about to start: called by the parent process before
    any worker imports prometheus-client. The directory is emptied (figures of an earlier run
    would be added to this one's)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)


def exposition() -> bytes:
    """Every metric of the service in the text format, summed over workers in multiprocess mode."""
    if MULTIPROCESS_VARIABLE in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def route_of(request: Request) -> str:
    route = request.route
    return f"/{route.path}" if route is not None else UNMATCHED


def install(app: Sanic[Any, Any], path: str) -> None:
    """Count and time every request, and serve the metrics at `path`."""

    async def start_clock(request: Request) -> None:
        request.ctx.metrics_start = time.perf_counter()

    async def count(request: Request, response: BaseHTTPResponse) -> None:
        route, method = route_of(request), request.method
        REQUESTS.labels(route, method, str(response.status)).inc()
        # A request refused before the request middleware ran (no such route) has no start.
        start = getattr(request.ctx, "metrics_start", None)
        if start is not None:
            REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - start)

    async def metrics(request: Request) -> HTTPResponse:
        return HTTPResponse(exposition(), content_type=CONTENT_TYPE_LATEST)

    # Before every other middleware, so that the time covers theirs.
    app.register_middleware(start_clock, "request", priority=1001)
    app.register_middleware(count, "response", priority=1001)
    app.add_route(metrics, path, methods=["GET"], name="metrics")
