"""Two-factor login: a user's TOTP factor and their single-use backup codes."""

import uuid

from tortoise import fields
from tortoise.models import Model

from auth.models.user import User


class TotpFactor(Model):
    """At most one per user; pending until confirmed with a code (only then is TOTP on).

    The secret is kept sealed (auth/services/totp_keys.py): ``secret_key_id`` names the key.
    ``last_used_step`` is the newest 30-second step whose code was accepted: a code of that step
    or an older one is refused, so an overheard code cannot be replayed.
    """

    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="totp_factor", primary_key=True, on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    secret_key_id = fields.CharField(max_length=32)
    secret_ciphertext = fields.BinaryField()
    confirmed_at = fields.DatetimeField(null=True)
    last_used_step = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "totp_factors"


class BackupCode(Model):
    """Only a SHA-256 of each code is kept: codes carry 50 random bits, so no slow hash is needed."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="backup_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "totp_backup_codes"
        unique_together = (("user", "code_hash"),)
