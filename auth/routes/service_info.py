"""What other services and operators read: the public keys (JWKS) and the health check."""

from __future__ import annotations

import logging

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi
from tortoise import connections

service_info = Blueprint("service_info", url_prefix="/auth")
log = logging.getLogger("auth")


@service_info.get("/.well-known/jwks.json")
@openapi.summary("Public keys that verify the access tokens (JWKS)")
async def jwks(request: Request) -> HTTPResponse:
    # Keys change only on restart, so other services may cache them for a while.
    return json(
        {"keys": [request.app.ctx.signing_key.jwk()]}, headers={"Cache-Control": "public, max-age=300"}
    )


@service_info.get("/health")
@openapi.summary("Postgres is required (503 without it); Redis only speeds things up")
async def health(request: Request) -> HTTPResponse:
    checks: dict[str, str] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as error:  # any failure means the same: not ready
        log.warning("health: postgres unavailable: %r", error)
        checks["postgres"] = "unavailable"
    try:
        await request.app.ctx.redis.ping()
        checks["redis"] = "ok"
    except Exception as error:
        log.warning("health: redis unavailable: %r", error)
        checks["redis"] = "unavailable"
    if checks["postgres"] != "ok":
        return json({"status": "unavailable", **checks}, status=503)
    return json({"status": "ok" if checks["redis"] == "ok" else "degraded", **checks})
