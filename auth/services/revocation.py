"""Which sessions are logged out: Postgres keeps the record, Redis answers fast.

Every revocation is written to Postgres first (``sessions.revoked_at``), then mirrored into Redis
with a TTL of one access-token lifetime, after which any access token of that session has expired
anyway. A marker key says the Redis mirror is complete; when Redis loses its data the marker is
gone and the mirror is rebuilt from Postgres before it is trusted again. When Redis is down,
answers come from Postgres, so losing Redis never revives a revoked token.

A revocation made while Redis was unreachable is missing from the mirror when Redis returns with
its old data. The process that made it rebuilds the mirror on its next contact with Redis, and the
marker expires after ``mirror_ttl`` seconds so that every process rebuilds it regularly anyway:
that bounds how long another process may trust an incomplete mirror.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.models import Session

log = logging.getLogger("auth.revocation")

_MARKER = "auth:revoked:mirror-complete"


def _key(session_id: uuid.UUID) -> str:
    return f"auth:revoked:{session_id}"


class RevocationList:
    def __init__(self, redis: Redis, access_ttl_seconds: int, mirror_ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = access_ttl_seconds
        self._mirror_ttl = mirror_ttl_seconds
        # Set when a mirror write failed: Redis may miss a revocation until it is rebuilt.
        self._mirror_suspect = True

    async def revoke(self, session_ids: list[uuid.UUID]) -> None:
        """End these sessions at once: their refresh and access tokens stop working."""
        if not session_ids:
            return
        await Session.filter(id__in=session_ids, revoked_at=None).update(revoked_at=datetime.now(UTC))
        await self.mirror(session_ids)

    async def mirror(self, session_ids: list[uuid.UUID]) -> None:
        """Copy revocations already written to Postgres into Redis."""
        if not session_ids:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for session_id in session_ids:
                    pipe.set(_key(session_id), "1", ex=self._ttl)
                await pipe.execute()
        except RedisError as error:
            log.warning("could not mirror %d revocation(s) to Redis: %r", len(session_ids), error)
            self._mirror_suspect = True

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        try:
            if self._mirror_suspect:
                await self._rebuild_mirror()
            complete, revoked = await self._redis.mget(_MARKER, _key(session_id))
            if complete is None:
                await self._rebuild_mirror()
                return await self._revoked_in_postgres(session_id)
            return revoked is not None
        except RedisError as error:
            log.debug("Redis unavailable, checking revocation in Postgres: %r", error)
            self._mirror_suspect = True
            return await self._revoked_in_postgres(session_id)

    async def _revoked_in_postgres(self, session_id: uuid.UUID) -> bool:
        rows = await Session.filter(id=session_id).values_list("revoked_at", flat=True)
        return not rows or rows[0] is not None

    async def _rebuild_mirror(self) -> None:
        """Copy the revocations that can still matter (younger than an access token) into Redis."""
        now = datetime.now(UTC)
        recent = await Session.filter(revoked_at__gt=now - timedelta(seconds=self._ttl)).values_list(
            "id", "revoked_at"
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id, revoked_at in recent:
                remaining = self._ttl - int((now - revoked_at).total_seconds())
                if remaining > 0:
                    pipe.set(_key(session_id), "1", ex=remaining)
            pipe.set(_MARKER, now.isoformat(), ex=self._mirror_ttl)
            await pipe.execute()
        self._mirror_suspect = False
        log.info("revocation mirror rebuilt from Postgres (%d recent revocation(s))", len(recent))
