"""The permission check other services ask: does this user hold this permission?"""

from __future__ import annotations

import uuid

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.errors import InvalidRequest
from auth.routes.guards import authenticated, claims_of, require_permission
from auth.routes.openapi_schemas import errors
from auth.routes.responses import model_json
from auth.routes.schemas import PermissionOut
from auth.routes.validation import unstorable
from auth.services.roles import MANAGE_ROLES
from openapi30 import json_content

permissions = Blueprint("permissions", url_prefix="/auth/api/v1")

_MAX_PERMISSION_LENGTH = 128


@permissions.get("/users/<user_id:uuid>/permissions/<permission:str>")
@openapi.summary("Whether a user holds a permission (the user themself or a roles:manage caller)")
@openapi.response(200, json_content(PermissionOut))
@errors(404, 422)
@authenticated
async def check_permission(request: AuthRequest, user_id: uuid.UUID, permission: str) -> HTTPResponse:
    if len(permission) > _MAX_PERMISSION_LENGTH:
        raise InvalidRequest([{"field": "permission", "message": "at most 128 characters"}])
    if unstorable(permission) is not None:
        raise InvalidRequest([{"field": "permission", "message": "a NUL character or an unpaired surrogate"}])
    if claims_of(request).user_id != user_id:
        await require_permission(request, MANAGE_ROLES)
    granted = await request.app.ctx.roles.permission_granted(user_id, permission)
    return model_json(PermissionOut(user_id=user_id, permission=permission, granted=granted))
