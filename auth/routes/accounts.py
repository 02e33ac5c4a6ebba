"""Sign-up and the caller's own account: profile, login, password, login history."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json
from sanic_ext import openapi

from auth.errors import InvalidToken
from auth.models import User
from auth.routes.guards import authenticated, claims_of
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.schemas import (
    ChangeLoginBody,
    ChangePasswordBody,
    LoginAttemptOut,
    PageQuery,
    SignUpBody,
    UserOut,
    login_attempt_body,
    user_body,
)
from auth.routes.validation import json_body, query_params
from auth.services.login_history import history_page
from auth.services.roles import role_names
from openapi30 import json_content

accounts = Blueprint("accounts", url_prefix="/auth/api/v1")


async def _me(request: Request) -> User:
    user = await User.get_or_none(id=claims_of(request).user_id)
    if user is None:
        raise InvalidToken("the account no longer exists")
    return user


@accounts.post("/signup")
@openapi.summary("Create an account")
@openapi.response(201, json_content(UserOut), "the new user")
@errors(409)
@json_body(SignUpBody)
async def sign_up(request: Request, body: SignUpBody) -> HTTPResponse:
    user = await request.app.ctx.accounts.sign_up(body.login, body.password, body.email)
    return json(user_body(user, []), status=201)


@accounts.get("/users/me")
@openapi.summary("The caller's account")
@openapi.response(200, json_content(UserOut))
@authenticated
async def get_me(request: Request) -> HTTPResponse:
    user = await _me(request)
    return json(user_body(user, await role_names(user.id)))


@accounts.patch("/users/me")
@openapi.summary("Change the caller's login")
@openapi.response(200, json_content(UserOut))
@errors(409)
@authenticated
@json_body(ChangeLoginBody)
async def change_login(request: Request, body: ChangeLoginBody) -> HTTPResponse:
    user = await request.app.ctx.accounts.change_login(await _me(request), body.login)
    return json(user_body(user, await role_names(user.id)))


@accounts.put("/users/me/password")
@openapi.summary("Change the caller's password; their other sessions end")
@no_content("changed")
@errors(403)
@authenticated
@json_body(ChangePasswordBody)
async def change_password(request: Request, body: ChangePasswordBody) -> HTTPResponse:
    claims = claims_of(request)
    await request.app.ctx.accounts.change_password(
        await _me(request), body.old_password, body.new_password, claims.session_id
    )
    return empty()


@accounts.get("/users/me/login-history")
@openapi.summary("The caller's login attempts, newest first")
@openapi.response(200, json_content(list[LoginAttemptOut]))
@authenticated
@query_params(PageQuery)
async def login_history(request: Request, query: PageQuery) -> HTTPResponse:
    attempts = await history_page(claims_of(request).user_id, query.page_number, query.page_size)
    return json([login_attempt_body(attempt) for attempt in attempts])
