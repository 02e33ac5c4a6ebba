"""The audit log: security events, who did them and to whom. Never a password or a token."""

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    """One security event; actor and subject are plain ids so events outlive the accounts."""

    id = fields.UUIDField(primary_key=True)
    at = fields.DatetimeField()
    event = fields.CharField(max_length=64)
    actor_id = fields.UUIDField(null=True)
    subject_id = fields.UUIDField(null=True)
    ip = fields.CharField(max_length=45, null=True)
    details: fields.Field[dict[str, object]] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_log"
