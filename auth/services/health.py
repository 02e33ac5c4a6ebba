"""Readiness: Postgres is required, Redis only speeds things up."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from tortoise import connections

log = logging.getLogger("auth")


@dataclass(frozen=True)
class Health:
    postgres: bool
    redis: bool

    @property
    def ready(self) -> bool:
        """Without Redis the service still answers (throttling off, revocations from Postgres)."""
        return self.postgres


class HealthService:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def check(self) -> Health:
        return Health(postgres=await self._postgres_up(), redis=await self._redis_up())

    async def _postgres_up(self) -> bool:
        try:
            await connections.get("default").execute_query("SELECT 1")
        except Exception as error:  # any failure means the same: not ready
            log.warning("health: postgres unavailable: %r", error)
            return False
        return True

    async def _redis_up(self) -> bool:
        try:
            await self._redis.ping()
        except Exception as error:
            log.warning("health: redis unavailable: %r", error)
            return False
        return True
