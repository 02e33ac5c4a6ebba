"""Tortoise models of the auth database (one module per table)."""

from auth.models.audit import AuditEvent
from auth.models.login_history import LoginAttempt, LoginOutcome
from auth.models.role import Role, UserRole
from auth.models.session import Session
from auth.models.totp import BackupCode, TotpFactor
from auth.models.user import User

__all__ = [
    "AuditEvent",
    "BackupCode",
    "LoginAttempt",
    "LoginOutcome",
    "Role",
    "Session",
    "TotpFactor",
    "User",
    "UserRole",
]
