"""Role management and role assignment; every route needs the permission ``roles:manage``."""

from __future__ import annotations

import uuid

from sanic import Blueprint
from sanic.response import HTTPResponse, empty
from sanic_ext import openapi

from auth.context import AuthRequest
from auth.routes.audit import audited
from auth.routes.guards import claims_of, requires_permission
from auth.routes.openapi_schemas import errors, no_content
from auth.routes.responses import model_json
from auth.routes.schemas import CreateRoleBody, RoleOut, UpdateRoleBody
from auth.routes.validation import json_body
from auth.services.roles import MANAGE_ROLES
from openapi30 import json_content

roles = Blueprint("roles", url_prefix="/auth/api/v1")


@roles.get("/roles")
@openapi.summary("Every role")
@openapi.response(200, json_content(list[RoleOut]))
@requires_permission(MANAGE_ROLES)
async def list_roles(request: AuthRequest) -> HTTPResponse:
    return model_json([RoleOut.of(role) for role in await request.app.ctx.roles.list_roles()])


@roles.post("/roles")
@openapi.summary("Create a role")
@openapi.response(201, json_content(RoleOut))
@errors(409)
@requires_permission(MANAGE_ROLES)
@json_body(CreateRoleBody)
async def create_role(request: AuthRequest, body: CreateRoleBody) -> HTTPResponse:
    actor = claims_of(request).user_id
    role = await request.app.ctx.roles.create_role(body.name, body.description, body.permissions, actor)
    await audited(request, "role.created", role=role.name, permissions=",".join(role.permissions))
    return model_json(RoleOut.of(role), status=201)


@roles.get("/roles/<role_id:uuid>")
@openapi.summary("One role")
@openapi.response(200, json_content(RoleOut))
@errors(404)
@requires_permission(MANAGE_ROLES)
async def get_role(request: AuthRequest, role_id: uuid.UUID) -> HTTPResponse:
    return model_json(RoleOut.of(await request.app.ctx.roles.get_role(role_id)))


@roles.patch("/roles/<role_id:uuid>")
@openapi.summary("Change a role's name, description or permissions")
@openapi.response(200, json_content(RoleOut))
@errors(404, 409)
@requires_permission(MANAGE_ROLES)
@json_body(UpdateRoleBody)
async def update_role(request: AuthRequest, role_id: uuid.UUID, body: UpdateRoleBody) -> HTTPResponse:
    role = await request.app.ctx.roles.update_role(
        role_id, body.name, body.description, body.permissions, claims_of(request).user_id
    )
    await audited(request, "role.changed", role=role.name, permissions=",".join(role.permissions))
    return model_json(RoleOut.of(role))


@roles.delete("/roles/<role_id:uuid>")
@openapi.summary("Delete a role; its users lose it")
@no_content("deleted")
@errors(404, 409)
@requires_permission(MANAGE_ROLES)
async def delete_role(request: AuthRequest, role_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.roles.delete_role(role_id, claims_of(request).user_id)
    await audited(request, "role.deleted", role=role_id)
    return empty()


@roles.get("/users/<user_id:uuid>/roles")
@openapi.summary("The roles a user holds")
@openapi.response(200, json_content(list[RoleOut]))
@errors(404)
@requires_permission(MANAGE_ROLES)
async def user_roles(request: AuthRequest, user_id: uuid.UUID) -> HTTPResponse:
    return model_json([RoleOut.of(role) for role in await request.app.ctx.roles.roles_of(user_id)])


@roles.put("/users/<user_id:uuid>/roles/<role_id:uuid>")
@openapi.summary("Give a user a role (idempotent)")
@no_content("assigned")
@errors(404)
@requires_permission(MANAGE_ROLES)
async def assign_role(request: AuthRequest, user_id: uuid.UUID, role_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.roles.assign_role(user_id, role_id, claims_of(request).user_id)
    await audited(request, "role.granted", subject=user_id, role=role_id)
    return empty()


@roles.delete("/users/<user_id:uuid>/roles/<role_id:uuid>")
@openapi.summary("Take a role away from a user (idempotent)")
@no_content("revoked")
@errors(404, 409)
@requires_permission(MANAGE_ROLES)
async def revoke_role(request: AuthRequest, user_id: uuid.UUID, role_id: uuid.UUID) -> HTTPResponse:
    await request.app.ctx.roles.revoke_role(user_id, role_id, claims_of(request).user_id)
    await audited(request, "role.revoked", subject=user_id, role=role_id)
    return empty()
