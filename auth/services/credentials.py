"""The credentials version: what a password change, a logout everywhere or a reset ends.

Every session records the user's ``credentials_version`` at the moment it was opened, and is
opened only while that version is still current: `SessionService.log_in` inserts the session
with ``SELECT ... FOR SHARE`` on the user's row, so a concurrent bump either waits for that
insert to commit (and then ends the new session with the others) or commits first (and the
insert finds a newer version and opens nothing). A login that read the old hash therefore cannot
outlive the change; refreshes check the version too.
"""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from auth.services.revocation import RevocationList


class CredentialsVersion:
    def __init__(self, revocations: RevocationList) -> None:
        self._revocations = revocations

    async def bump(
        self, user_id: uuid.UUID, password_hash: str | None = None, keep: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        """Move the user's credentials on (with a new password hash, if given) and end every open
        session but ``keep``, in one transaction; returns the ended sessions' ids."""
        async with in_transaction() as conn:
            bumped = await conn.execute_query_dict(
                'UPDATE "users" SET "credentials_version" = "credentials_version" + 1, '
                '"password_hash" = COALESCE($2, "password_hash"), "updated_at" = now() '
                'WHERE "id" = $1 RETURNING "credentials_version"',
                [user_id, password_hash],
            )
            if not bumped:
                return []
            if keep is not None:
                await conn.execute_query(
                    'UPDATE "sessions" SET "credentials_version" = $1 WHERE "id" = $2 AND "user_id" = $3',
                    [bumped[0]["credentials_version"], keep, user_id],
                )
            ended_rows = await conn.execute_query_dict(
                'UPDATE "sessions" SET "revoked_at" = now() WHERE "user_id" = $1 AND "revoked_at" IS NULL '
                'AND "id" IS DISTINCT FROM $2 RETURNING "id"',
                [user_id, keep],
            )
        ended = [row["id"] for row in ended_rows]
        await self._revocations.mirror(ended)
        return ended
