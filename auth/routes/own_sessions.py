"""The caller's own sessions: list them, end one, sign out all the others."""

from __future__ import annotations

import uuid

from sanic import Blueprint
from sanic.response import HTTPResponse, empty
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.routes.audit import audited
from auth.routes.guards import authenticated, claims_of
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.responses import model_json
from auth.routes.schemas import SessionOut
from openapi30 import json_content

own_sessions = Blueprint("own_sessions", url_prefix="/auth/api/v1")


@own_sessions.get("/users/me/sessions")
@openapi.summary("The caller's open sessions, newest first")
@openapi.response(200, json_content(list[SessionOut]))
@authenticated
async def list_sessions(request: AuthRequest) -> HTTPResponse:
    claims = claims_of(request)
    sessions = await request.app.ctx.sessions.open_sessions(claims.user_id)
    return model_json([SessionOut.of(session, claims.session_id) for session in sessions])


@own_sessions.delete("/users/me/sessions/<session_id:uuid>")
@openapi.summary("End one of the caller's sessions (this one too, if named)")
@no_content("ended")
@errors(404)
@authenticated
async def end_session(request: AuthRequest, session_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.sessions.end_session(claims_of(request).user_id, session_id)
    await audited(request, "session.revoked", subject=claims_of(request).user_id, session=session_id)
    return empty()


@own_sessions.post("/users/me/sessions/sign-out-others")
@openapi.summary("End every session of the caller but this one")
@no_content("the other sessions ended")
@authenticated
async def sign_out_others(request: AuthRequest) -> HTTPResponse:
    claims = claims_of(request)
    await request.app.ctx.sessions.sign_out_others(claims.user_id, claims.session_id)
    await audited(request, "sessions.signed_out_others", subject=claims.user_id, kept=claims.session_id)
    return empty()
