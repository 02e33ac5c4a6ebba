"""Recording login attempts and reading a user's own history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise import connections

from auth.models import LoginAttempt, LoginOutcome
from auth.services.audit import AuditLog


class LoginHistory:
    """Every attempt goes to the user's own history and, as ``login.<outcome>``, to the audit log."""

    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit

    async def record(
        self,
        login: str,
        outcome: LoginOutcome,
        user_id: uuid.UUID | None,
        ip: str | None,
        user_agent: str | None,
    ) -> None:
        await LoginAttempt.create(
            id=uuid.uuid4(),
            user_id=user_id,
            login=login[:255],
            outcome=outcome,
            ip=ip,
            user_agent=user_agent,
            attempted_at=datetime.now(UTC),
        )
        if self._audit is not None:
            await self._audit.record(f"login.{outcome}", subject=user_id, ip=ip, login=login[:255])

    async def page(self, user_id: uuid.UUID, page_number: int, page_size: int) -> list[LoginAttempt]:
        """Newest first; the id breaks ties so pages never overlap."""
        return (
            await LoginAttempt.filter(user_id=user_id)
            .order_by("-attempted_at", "-id")
            .offset((page_number - 1) * page_size)
            .limit(page_size)
        )

    async def ensure_partitions(self, months_ahead: int = 2) -> None:
        """Create the monthly partitions of the coming months before rows arrive for them."""
        await connections.get("default").execute_query(
            "SELECT login_history_ensure_partitions($1)", [months_ahead]
        )
