"""Login, token refresh and logout."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse, empty
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.routes.audit import audited
from auth.routes.guards import authenticated, claims_of, client_of
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.responses import model_json
from auth.routes.schemas import (
    LogInBody,
    LoginChallengeOut,
    LogOutBody,
    RefreshBody,
    SecondFactorBody,
    TokenPairOut,
)
from auth.routes.validation import json_body
from auth.services.login_challenges import OpenChallenge
from openapi30 import json_content

sessions = Blueprint("sessions", url_prefix="/auth/api/v1")


@sessions.post("/login")
@openapi.summary("Log in with login and password")
@openapi.response(200, json_content(TokenPairOut))
@openapi.response(202, json_content(LoginChallengeOut), "two-factor login: send a code with the challenge")
@errors(401, 429)
@json_body(LogInBody)
async def log_in(request: AuthRequest, body: LogInBody) -> HTTPResponse:
    outcome = await request.app.ctx.sessions.log_in(body.login, body.password, client_of(request))
    if isinstance(outcome, OpenChallenge):
        return model_json(LoginChallengeOut.of(outcome), status=202)
    return model_json(TokenPairOut.of(outcome))


@sessions.post("/login/second-factor")
@openapi.summary("Complete a two-factor login with a TOTP code or a backup code")
@openapi.response(200, json_content(TokenPairOut))
@errors(401, 429)
@json_body(SecondFactorBody)
async def complete_login(request: AuthRequest, body: SecondFactorBody) -> HTTPResponse:
    pair = await request.app.ctx.sessions.complete_login(body.challenge, body.code, client_of(request))
    return model_json(TokenPairOut.of(pair))


@sessions.post("/refresh")
@openapi.summary("Exchange a refresh token (once) for a new pair")
@openapi.response(200, json_content(TokenPairOut))
@errors(401)
@json_body(RefreshBody)
async def refresh(request: AuthRequest, body: RefreshBody) -> HTTPResponse:
    pair = await request.app.ctx.sessions.refresh(body.refresh_token)
    return model_json(TokenPairOut.of(pair))


@sessions.post("/logout")
@openapi.summary('End this session, or every session of the user with {"all": true}')
@no_content("logged out")
@authenticated
@json_body(LogOutBody, required=False)
async def log_out(request: AuthRequest, body: LogOutBody) -> HTTPResponse:
    claims = claims_of(request)
    await request.app.ctx.sessions.log_out(claims, everywhere=body.all)
    await audited(
        request,
        "logout.everywhere" if body.all else "logout",
        subject=claims.user_id,
        session=claims.session_id,
    )
    return empty()
