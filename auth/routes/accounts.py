"""Sign-up and the caller's own account: profile, login, password, login history."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse, empty
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.routes.audit import audited
from auth.routes.guards import authenticated, claims_of, client_of
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.rate_limits import rate_limited
from auth.routes.responses import model_json
from auth.routes.schemas import (
    ChangeLoginBody,
    ChangePasswordBody,
    LoginAttemptOut,
    PageQuery,
    SignUpBody,
    UserOut,
)
from auth.routes.validation import json_body, query_params
from openapi30 import json_content

accounts = Blueprint("accounts", url_prefix="/auth/api/v1")

# Sign-ups are counted per client address, password and login changes per account.
signup_limit = rate_limited(
    lambda request: request.app.ctx.rate_limits.signup, lambda request: str(client_of(request).ip)
)
password_limit = rate_limited(
    lambda request: request.app.ctx.rate_limits.password, lambda request: str(claims_of(request).user_id)
)


@accounts.post("/signup")
@openapi.summary("Create an account")
@openapi.response(201, json_content(UserOut), "the new user")
@errors(409)
@signup_limit
@json_body(SignUpBody)
async def sign_up(request: AuthRequest, body: SignUpBody) -> HTTPResponse:
    account = await request.app.ctx.accounts.sign_up(body.login, body.password, body.email)
    await audited(request, "account.created", subject=account.user.id, login=account.user.login)
    return model_json(UserOut.of(account), status=201)


@accounts.get("/users/me")
@openapi.summary("The caller's account")
@openapi.response(200, json_content(UserOut))
@authenticated
async def get_me(request: AuthRequest) -> HTTPResponse:
    account = await request.app.ctx.accounts.own_account(claims_of(request).user_id)
    return model_json(UserOut.of(account))


@accounts.patch("/users/me")
@openapi.summary("Change the caller's login (the current password is required)")
@openapi.response(200, json_content(UserOut))
@errors(403, 409)
@authenticated
@password_limit
@json_body(ChangeLoginBody)
async def change_login(request: AuthRequest, body: ChangeLoginBody) -> HTTPResponse:
    accounts_ = request.app.ctx.accounts
    account = await accounts_.change_login(
        claims_of(request).user_id, body.login, body.password, client_of(request)
    )
    await audited(request, "login.changed", subject=account.user.id, login=account.user.login)
    return model_json(UserOut.of(account))


@accounts.put("/users/me/password")
@openapi.summary("Change the caller's password; their other sessions end")
@no_content("changed")
@errors(403)
@authenticated
@password_limit
@json_body(ChangePasswordBody)
async def change_password(request: AuthRequest, body: ChangePasswordBody) -> HTTPResponse:
    claims = claims_of(request)
    await request.app.ctx.accounts.change_password(
        claims.user_id, body.old_password, body.new_password, claims.session_id, client_of(request)
    )
    await audited(request, "password.changed", subject=claims.user_id)
    return empty()


@accounts.get("/users/me/login-history")
@openapi.summary("The caller's login attempts, newest first")
@openapi.response(200, json_content(list[LoginAttemptOut]))
@authenticated
@query_params(PageQuery)
async def login_history(request: AuthRequest, query: PageQuery) -> HTTPResponse:
    history = request.app.ctx.login_history
    attempts = await history.page(claims_of(request).user_id, query.page_number, query.page_size)
    return model_json([LoginAttemptOut.of(attempt) for attempt in attempts])
