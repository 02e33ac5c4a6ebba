"""Login history: every attempt, failed or not. The table is partitioned by month in SQL."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from auth.models.user import User


class LoginOutcome(StrEnum):
    SUCCESS = "success"
    UNKNOWN_LOGIN = "unknown_login"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an outcome, not a password)
    THROTTLED = "throttled"
    # A password or login change whose current password was wrong (a token holder guessing).
    WRONG_OLD_PASSWORD = "wrong_old_password"  # noqa: S105 (an outcome, not a password)
    DISABLED = "disabled"


class LoginAttempt(Model):
    """One login attempt. ``user`` is empty when the login named no account."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="login_attempts", null=True, on_delete=fields.CASCADE
    )
    login = fields.CharField(max_length=255)
    outcome = fields.CharEnumField(LoginOutcome, max_length=32)
    ip = fields.CharField(max_length=45, null=True)
    user_agent = fields.TextField(null=True)
    attempted_at = fields.DatetimeField()

    class Meta:
        table = "login_history"
