"""Accounts."""

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """An account; the password is kept only as a bcrypt hash."""

    id = fields.UUIDField(primary_key=True)
    login = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=254, null=True)
    password_hash = fields.CharField(max_length=128)
    # Grows with every password change, logout everywhere and reset: see auth/services/credentials.py.
    credentials_version = fields.IntField(default=0)
    # Set by an administrator: logins are refused and no session can be opened.
    disabled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
