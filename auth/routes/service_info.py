"""What other services and operators read: the public keys (JWKS) and the health check."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.routes.responses import model_json
from auth.routes.schemas import HealthOut, JwkOut, JwksOut
from openapi30 import json_content

service_info = Blueprint("service_info", url_prefix="/auth")


@service_info.get("/.well-known/jwks.json")
@openapi.summary("Public keys that verify the access tokens (JWKS)")
@openapi.response(
    200,
    json_content(JwksOut),
    "the active signing key first, then the previous ones that still verify tokens",
)
async def jwks(request: AuthRequest) -> HTTPResponse:
    ctx = request.app.ctx
    published = [ctx.signing_key.verification(), *ctx.previous_keys]
    keys = JwksOut(keys=[JwkOut.model_validate(key.jwk()) for key in published])
    # Keys change only on restart, so other services may cache them for a while (and fetch them
    # again when a token names a kid they do not know).
    return model_json(keys, headers={"Cache-Control": "public, max-age=300"})


@service_info.get("/health")
@openapi.summary("Postgres is required (503 without it); Redis only speeds things up")
@openapi.response(200, json_content(HealthOut), "ready; with Redis down the status is degraded")
@openapi.response(503, json_content(HealthOut), "Postgres is unavailable")
async def health(request: AuthRequest) -> HTTPResponse:
    health = await request.app.ctx.health.check()
    return model_json(HealthOut.of(health), status=200 if health.ready else 503)
