"""The audit log for holders of ``audit:read``, and `audited`, which routes use to write to it."""

from __future__ import annotations

import uuid

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.routes.guards import client_of, requires_permission
from auth.routes.responses import model_json
from auth.routes.schemas import AuditEventOut, PageQuery
from auth.routes.validation import query_params
from openapi30 import json_content

READ_AUDIT = "audit:read"

audit = Blueprint("audit", url_prefix="/auth/api/v1")


async def audited(
    request: AuthRequest, event: str, subject: uuid.UUID | None = None, **details: object
) -> None:
    """Record ``event`` done by the caller (the token's user, if any) from the caller's address."""
    claims = getattr(request.ctx, "claims", None)
    actor = claims.user_id if claims is not None else None
    await request.app.ctx.audit.record(
        event, actor=actor, subject=subject, ip=client_of(request).ip, **details
    )


@audit.get("/audit")
@openapi.summary("Security events, newest first (audit:read)")
@openapi.response(200, json_content(list[AuditEventOut]))
@requires_permission(READ_AUDIT)
@query_params(PageQuery)
async def audit_log(request: AuthRequest, query: PageQuery) -> HTTPResponse:
    events = await request.app.ctx.audit.page(query.page_number, query.page_size)
    return model_json([AuditEventOut.of(event) for event in events])
