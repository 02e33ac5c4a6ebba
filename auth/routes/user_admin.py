"""What administrators (permission ``users:manage``) do to other accounts: list and end their
sessions, disable and enable them."""

from __future__ import annotations

import uuid

from sanic import Blueprint
from sanic.response import HTTPResponse, empty
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.errors import Conflict
from auth.routes.audit import audited
from auth.routes.guards import claims_of, requires_permission
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.responses import model_json
from auth.routes.schemas import SessionOut
from auth.services.roles import MANAGE_USERS
from openapi30 import json_content

user_admin = Blueprint("user_admin", url_prefix="/auth/api/v1")


@user_admin.get("/users/<user_id:uuid>/sessions")
@openapi.summary("A user's open sessions (users:manage)")
@openapi.response(200, json_content(list[SessionOut]))
@errors(404)
@requires_permission(MANAGE_USERS)
async def user_sessions(request: AuthRequest, user_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.roles.roles_of(user_id)  # 404 for an unknown user
    sessions = await request.app.ctx.sessions.open_sessions(user_id)
    return model_json([SessionOut.of(session, claims_of(request).session_id) for session in sessions])


@user_admin.delete("/users/<user_id:uuid>/sessions/<session_id:uuid>")
@openapi.summary("End one of a user's sessions (users:manage)")
@no_content("ended")
@errors(404)
@requires_permission(MANAGE_USERS)
async def end_user_session(request: AuthRequest, user_id: uuid.UUID, session_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.sessions.end_session(user_id, session_id)
    await audited(request, "session.revoked", subject=user_id, session=session_id)
    return empty()


@user_admin.put("/users/<user_id:uuid>/disabled")
@openapi.summary("Disable an account: its sessions end, its logins are refused (users:manage)")
@no_content("disabled")
@errors(404, 409)
@requires_permission(MANAGE_USERS)
async def disable_user(request: AuthRequest, user_id: uuid.UUID) -> HTTPResponse:
    if user_id == claims_of(request).user_id:
        raise Conflict("an administrator cannot disable their own account")
    await request.app.ctx.sessions.set_disabled(user_id, disabled=True)
    await audited(request, "account.disabled", subject=user_id)
    return empty()


@user_admin.delete("/users/<user_id:uuid>/disabled")
@openapi.summary("Enable a disabled account again (users:manage)")
@no_content("enabled")
@errors(404)
@requires_permission(MANAGE_USERS)
async def enable_user(request: AuthRequest, user_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.sessions.set_disabled(user_id, disabled=False)
    await audited(request, "account.enabled", subject=user_id)
    return empty()
