"""Request rate limits (sign-ups per address, password changes per account), fixed windows in Redis.

Each limit is ``limit`` requests per ``window`` seconds; one Lua call counts the request and reads
what is left, so concurrent requests cannot overrun it. The answer carries the state for the
``RateLimit`` and ``RateLimit-Policy`` headers (draft-ietf-httpapi-ratelimit-headers) and, once
exceeded, ``Retry-After``. Without Redis the limits are off rather than the endpoints.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("auth.rate_limits")

# KEYS: the counter. ARGV: window seconds. Returns {count, milliseconds until the window ends}.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
"""


@dataclass(frozen=True)
class RateLimitState:
    name: str
    limit: int
    window: int
    remaining: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Policy": f'"{self.name}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.name}";r={max(self.remaining, 0)};t={self.reset_seconds}',
        }
        if self.exceeded:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


class RateLimit:
    def __init__(self, redis: Redis, name: str, limit: int, window_seconds: int) -> None:
        self.name = name
        self._limit = limit
        self._window = window_seconds
        self._hit = redis.register_script(_HIT)

    async def hit(self, key: str) -> RateLimitState | None:
        """Count one request of ``key``; None when Redis cannot say (the limit is then off)."""
        counter = f"auth:rate:{self.name}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        try:
            count, ttl_ms = cast("list[int]", await self._hit(keys=[counter], args=[self._window]))
        except RedisError as error:
            log.warning("rate limit %s unavailable: %r", self.name, error)
            return None
        reset = max(1, math.ceil(ttl_ms / 1000)) if ttl_ms > 0 else self._window
        return RateLimitState(self.name, self._limit, self._window, self._limit - count, reset)
