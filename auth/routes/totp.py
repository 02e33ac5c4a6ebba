"""Two-factor login for the caller's own account (enrol, confirm, backup codes, disable), and
an administrator's reset of another account's (``users:manage``)."""

from __future__ import annotations

import uuid

from sanic import Blueprint
from sanic.response import HTTPResponse, empty
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.models.user import User
from auth.routes.audit import audited
from auth.routes.guards import authenticated, claims_of, client_of, requires_permission
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.responses import model_json
from auth.routes.schemas import (
    BackupCodesOut,
    ConfirmTotpBody,
    TotpEnrolmentOut,
    TotpProofBody,
    TotpStatusOut,
)
from auth.routes.validation import json_body
from auth.services.client_address import Client
from auth.services.roles import MANAGE_USERS
from openapi30 import json_content

totp = Blueprint("totp", url_prefix="/auth/api/v1")


async def _password_confirmed(request: AuthRequest, body: TotpProofBody) -> tuple[User, Client]:
    """The caller and where they call from, once their password is confirmed; the code of the
    proof is checked by the action itself, under its own throttle."""
    client = client_of(request)
    user = await request.app.ctx.accounts.confirm_password(claims_of(request).user_id, body.password, client)
    return user, client


@totp.get("/users/me/totp")
@openapi.summary("Whether the caller has two-factor login on, and how many backup codes are left")
@openapi.response(200, json_content(TotpStatusOut))
@authenticated
async def totp_status(request: AuthRequest) -> HTTPResponse:
    return model_json(TotpStatusOut.of(await request.app.ctx.totp.status(claims_of(request).user_id)))


@totp.post("/users/me/totp")
@openapi.summary("Start two-factor enrolment: a new secret and its otpauth:// URI (replaces a pending one)")
@openapi.response(201, json_content(TotpEnrolmentOut))
@errors(409)
@authenticated
async def start_enrolment(request: AuthRequest) -> HTTPResponse:
    user = await request.app.ctx.accounts.own_user(claims_of(request).user_id)
    enrolment = await request.app.ctx.totp.start_enrolment(user)
    await audited(request, "totp.enrolment_started", subject=user.id)
    return model_json(TotpEnrolmentOut.of(enrolment), status=201)


@totp.post("/users/me/totp/confirm")
@openapi.summary("Confirm the enrolment with a current code: two-factor login is on; the backup codes, once")
@openapi.response(200, json_content(BackupCodesOut))
@errors(403, 404, 409, 429)
@authenticated
@json_body(ConfirmTotpBody)
async def confirm_enrolment(request: AuthRequest, body: ConfirmTotpBody) -> HTTPResponse:
    user = await request.app.ctx.accounts.own_user(claims_of(request).user_id)
    codes = await request.app.ctx.totp.confirm(user, body.code, client_of(request))
    await audited(request, "totp.enabled", subject=user.id)
    return model_json(BackupCodesOut(backup_codes=codes))


@totp.post("/users/me/totp/backup-codes")
@openapi.summary("New backup codes, the old ones void (the password and a current code are required)")
@openapi.response(200, json_content(BackupCodesOut))
@errors(403, 409, 429)
@authenticated
@json_body(TotpProofBody)
async def regenerate_backup_codes(request: AuthRequest, body: TotpProofBody) -> HTTPResponse:
    user, client = await _password_confirmed(request, body)
    codes = await request.app.ctx.totp.regenerate_backup_codes(user, body.code, client)
    await audited(request, "totp.backup_codes_regenerated", subject=user.id)
    return model_json(BackupCodesOut(backup_codes=codes))


@totp.post("/users/me/totp/disable")
@openapi.summary("Turn two-factor login off (the password and a current code are required)")
@no_content("off; the backup codes are void")
@errors(403, 409, 429)
@authenticated
@json_body(TotpProofBody)
async def disable_totp(request: AuthRequest, body: TotpProofBody) -> HTTPResponse:
    user, client = await _password_confirmed(request, body)
    await request.app.ctx.totp.disable(user, body.code, client)
    await audited(request, "totp.disabled", subject=user.id)
    return empty()


@totp.delete("/users/<user_id:uuid>/totp")
@openapi.summary("Reset a user's two-factor login, e.g. after a lost device (users:manage)")
@no_content("reset: the user logs in with the password alone and may enrol again")
@errors(404)
@requires_permission(MANAGE_USERS)
async def reset_totp(request: AuthRequest, user_id: uuid.UUID) -> HTTPResponse:
    had_factor = await request.app.ctx.totp.reset(user_id)
    await audited(request, "totp.reset", subject=user_id, had_factor=had_factor)
    return empty()
