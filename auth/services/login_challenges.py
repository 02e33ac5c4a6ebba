"""The second step of a login: a short-lived challenge, kept in auth's Redis, that a code completes.

A right password of an account with TOTP on opens a challenge instead of a session. Only a
digest of the challenge is a Redis key, so a copy of Redis gives nobody a challenge to complete.
It names the user and the credentials version the password was checked under (a password change
meanwhile leaves it unable to open a session), counts its attempts in the same Lua step that
reads it, and is deleted by the request that completes it: of two completions only one wins.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.errors import DependencyUnavailable

# KEYS: the challenge. ARGV: none. Returns {user, version, attempts} or nil when there is none.
_ATTEMPT = """
local user = redis.call('HGET', KEYS[1], 'user')
if not user then return nil end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {user, redis.call('HGET', KEYS[1], 'version'), attempts}
"""


@dataclass(frozen=True)
class OpenChallenge:
    """What a login step one gives the client."""

    token: str
    expires_in: int


@dataclass(frozen=True)
class ChallengeAttempt:
    user_id: uuid.UUID
    credentials_version: int
    attempt: int


def _key(token: str) -> str:
    return f"auth:login-challenge:{hashlib.sha256(token.encode()).hexdigest()}"


class LoginChallenges:
    def __init__(self, redis: Redis, ttl_seconds: int, attempts: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self.attempts = attempts
        self._attempt = redis.register_script(_ATTEMPT)

    async def open(self, user_id: uuid.UUID, credentials_version: int) -> OpenChallenge:
        token = secrets.token_urlsafe(32)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(
                    _key(token), mapping={"user": str(user_id), "version": credentials_version, "attempts": 0}
                )
                pipe.expire(_key(token), self._ttl)
                await pipe.execute()
        except RedisError as error:
            raise DependencyUnavailable("two-factor login is unavailable (its store is down)") from error
        return OpenChallenge(token, self._ttl)

    async def attempt(self, token: str) -> ChallengeAttempt | None:
        """Count one attempt at the challenge; None when it is unknown, expired, used or void."""
        try:
            found = await self._attempt(keys=[_key(token)])
        except RedisError as error:
            raise DependencyUnavailable("two-factor login is unavailable (its store is down)") from error
        if not found:
            return None
        user, version, attempts = cast("tuple[bytes, bytes, int]", found)
        return ChallengeAttempt(uuid.UUID(user.decode()), int(version), int(attempts))

    async def close(self, token: str) -> bool:
        """End the challenge; False when another request ended it first."""
        try:
            return bool(await self._redis.delete(_key(token)))
        except RedisError as error:
            raise DependencyUnavailable("two-factor login is unavailable (its store is down)") from error
