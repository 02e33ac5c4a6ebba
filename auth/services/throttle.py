"""Brute-force protection: failed logins counted per account and per IP, with growing delays.

After ``free`` failures within the window, each further failure locks that account (or IP) for a
delay that doubles up to a cap. The cap and the expiring counters mean that someone else's
failures can delay a user's login for minutes but never lock the account for good; a successful
login clears the account's counter. Without Redis the protection is off rather than the login.
"""

from __future__ import annotations

import logging
import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.settings import Settings

log = logging.getLogger("auth.throttle")


class LoginThrottle:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._window = settings.failure_window_seconds
        self._first_delay = settings.first_delay_seconds
        self._max_delay = settings.max_delay_seconds
        self._free = {"account": settings.free_failures_per_account, "ip": settings.free_failures_per_ip}

    def _scopes(self, login: str, ip: str | None) -> list[tuple[str, str]]:
        scopes = [("account", login)]
        if ip:
            scopes.append(("ip", ip))
        return scopes

    async def retry_after(self, login: str, ip: str | None) -> int:
        """Seconds until this login may be tried again from this IP; 0 when it may be tried now."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for scope, value in self._scopes(login, ip):
                    pipe.pttl(f"auth:login-lock:{scope}:{value}")
                remaining_ms = await pipe.execute()
        except RedisError as error:
            log.warning("login throttle unavailable: %r", error)
            return 0
        return max((math.ceil(ms / 1000) for ms in remaining_ms if ms > 0), default=0)

    async def record_failure(self, login: str, ip: str | None) -> None:
        try:
            for scope, value in self._scopes(login, ip):
                counter = f"auth:login-failures:{scope}:{value}"
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.incr(counter)
                    pipe.expire(counter, self._window)
                    failures, _ = await pipe.execute()
                excess = failures - self._free[scope]
                if excess > 0:
                    delay = min(self._first_delay * 2 ** min(excess - 1, 30), self._max_delay)
                    await self._redis.set(f"auth:login-lock:{scope}:{value}", "1", ex=delay)
        except RedisError as error:
            log.warning("login throttle unavailable: %r", error)

    async def record_success(self, login: str) -> None:
        try:
            await self._redis.delete(
                f"auth:login-failures:account:{login}", f"auth:login-lock:account:{login}"
            )
        except RedisError as error:
            log.warning("login throttle unavailable: %r", error)
