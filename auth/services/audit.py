"""Writing and reading the audit log. Callers pass names and ids only: never a secret."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from auth.models.audit import AuditEvent


class AuditLog:
    async def record(
        self,
        event: str,
        actor: uuid.UUID | None = None,
        subject: uuid.UUID | None = None,
        ip: str | None = None,
        **details: object,
    ) -> None:
        await AuditEvent.create(
            id=uuid.uuid4(),
            at=datetime.now(UTC),
            event=event,
            actor_id=actor,
            subject_id=subject,
            ip=ip,
            details={key: str(value) for key, value in details.items()},
        )

    async def page(self, page_number: int, page_size: int) -> list[AuditEvent]:
        """Newest first; the id breaks ties so pages never overlap."""
        return (
            await AuditEvent.all()
            .order_by("-at", "-id")
            .offset((page_number - 1) * page_size)
            .limit(page_size)
        )
