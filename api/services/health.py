"""Readiness: can the API reach Elasticsearch and Redis right now?"""

from __future__ import annotations

import asyncio
import logging

from elasticsearch import AsyncElasticsearch

from api.repositories.redis_link import RedisLink

log = logging.getLogger(__name__)


class HealthService:
    def __init__(self, es: AsyncElasticsearch, redis: RedisLink, timeout: float) -> None:
        self._es = es
        self._redis = redis
        self._timeout = timeout

    async def elasticsearch_up(self) -> bool:
        # GET / is refused by the native distribution, so the cluster health API is the probe.
        try:
            health = await asyncio.wait_for(self._es.cluster.health(), self._timeout)
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            log.warning("readiness: Elasticsearch check failed: %s", error)
            return False
        return health["status"] in ("green", "yellow")

    async def redis_up(self) -> bool:
        try:
            return await asyncio.wait_for(self._redis.call("PING"), self._timeout) == b"PONG"
        except Exception as error:  # as above
            log.warning("readiness: Redis check failed: %s", error)
            return False
