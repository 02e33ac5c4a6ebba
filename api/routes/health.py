"""`/api/health` (liveness: the process answers) and `/api/health/ready` (its dependencies).

Ready means Elasticsearch answers: without Redis the API still serves, only slower, so Redis
down is reported as "degraded" with 200, Elasticsearch down as "unavailable" with 503.
"""

from __future__ import annotations

import asyncio

from sanic import Blueprint, HTTPResponse, json
from sanic_ext import openapi

from api.context import ApiRequest

health = Blueprint("health", url_prefix="/api/health", strict_slashes=False)


@health.get("/")
@openapi.summary("Liveness")
async def alive(request: ApiRequest) -> HTTPResponse:
    return json({"status": "ok"})


@health.get("/ready")
@openapi.summary("Readiness, with the state of Elasticsearch and Redis")
async def ready(request: ApiRequest) -> HTTPResponse:
    checks = request.app.ctx.health
    es_up, redis_up = await asyncio.gather(checks.elasticsearch_up(), checks.redis_up())
    if not es_up:
        status, code = "unavailable", 503
    elif not redis_up:
        status, code = "degraded", 200
    else:
        status, code = "ready", 200
    body = {
        "status": status,
        "elasticsearch": "up" if es_up else "down",
        "redis": "up" if redis_up else "down",
    }
    return json(body, status=code)
