"""Sessions: one per login, the family of refresh tokens that follow from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from auth.models.user import User


class Session(Model):
    """A login's refresh-token family; only ``refresh_jti`` may be exchanged, once.

    ``revoked_at`` is the durable record of a logout; Redis only mirrors it for speed.
    """

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    refresh_jti = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True)
    refreshed_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    # Refreshes move ``expires_at`` on, never past this.
    absolute_expires_at = fields.DatetimeField()
    # The user's credentials version when the session was opened.
    credentials_version = fields.IntField(default=0)
    revoked_at = fields.DatetimeField(null=True, db_index=True)
    ip = fields.CharField(max_length=45, null=True)
    user_agent = fields.TextField(null=True)

    class Meta:
        table = "sessions"
