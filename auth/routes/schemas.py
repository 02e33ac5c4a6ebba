"""Shapes of request bodies, query strings and responses (validated by pydantic via sanic-ext)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from auth.models import LoginAttempt, Role, User
from auth.services.accounts import LOGIN_PATTERN

Login = Annotated[str, StringConstraints(pattern=LOGIN_PATTERN)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
# Length rules of passwords live in the password policy so the reason names the rule broken;
# this bound only keeps absurd bodies away from it.
Password = Annotated[str, StringConstraints(max_length=1024)]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
Permission = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]+(:[a-z0-9_.-]+)*$", max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUpBody(_Body):
    login: Login = Field(description="3-64 letters, digits, '.', '_' or '-'")
    password: Password = Field(description="8 characters to 72 bytes, not a common password")
    email: Email | None = None


class LogInBody(_Body):
    login: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    password: Password


class RefreshBody(_Body):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class LogOutBody(_Body):
    all: bool = Field(default=False, description="end every session of the user, not just this one")


class ChangeLoginBody(_Body):
    login: Login


class ChangePasswordBody(_Body):
    old_password: Password
    new_password: Password


class CreateRoleBody(_Body):
    name: RoleName = Field(description="unique slug: lowercase letters, digits, '_' or '-'")
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    permissions: list[Permission] = Field(default_factory=list, max_length=200)


class UpdateRoleBody(_Body):
    name: RoleName | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    permissions: list[Permission] | None = Field(default=None, max_length=200)


class PageQuery(BaseModel):
    """The content API's pagination: page_number from 1, page_size from 1 to 100."""

    model_config = ConfigDict(extra="ignore")

    page_number: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=50, ge=1, le=100)


def user_body(user: User, roles: list[str]) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "login": user.login,
        "email": user.email,
        "roles": roles,
        "created_at": user.created_at.isoformat(),
    }


def role_body(role: Role) -> dict[str, Any]:
    return {
        "id": str(role.id),
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "builtin": role.is_builtin,
    }


def login_attempt_body(attempt: LoginAttempt) -> dict[str, Any]:
    return {
        "attempted_at": attempt.attempted_at.isoformat(),
        "success": attempt.outcome == "success",
        "outcome": str(attempt.outcome),
        "ip": attempt.ip,
        "user_agent": attempt.user_agent,
    }


def permission_body(user_id: uuid.UUID, permission: str, granted: bool) -> dict[str, Any]:
    return {"user_id": str(user_id), "permission": permission, "granted": granted}


class UserOut(BaseModel):
    id: uuid.UUID
    login: str
    email: str | None
    roles: list[str]
    created_at: datetime


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (the scheme name)
    expires_in: int


class RoleOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    permissions: list[str]
    builtin: bool


class LoginAttemptOut(BaseModel):
    attempted_at: datetime
    success: bool
    outcome: str
    ip: str | None
    user_agent: str | None


class PermissionOut(BaseModel):
    user_id: uuid.UUID
    permission: str
    granted: bool


class ErrorOut(BaseModel):
    code: str
    detail: str
