"""Creating the first administrator from the command line."""

from __future__ import annotations

import re

from redis.asyncio import Redis

from auth.database import migrate, orm
from auth.services.accounts import LOGIN_PATTERN, SuperuserService
from auth.services.credentials import CredentialsVersion
from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher
from auth.services.revocation import RevocationList
from auth.services.roles import RoleService
from auth.settings import Settings


async def create_superuser(settings: Settings, login: str, password: str, email: str | None) -> str:
    """Checked before the database is touched; then migrated, so the admin role exists."""
    if not re.fullmatch(LOGIN_PATTERN, login):
        raise ValueError("login: 3-64 letters, digits, '.', '_' or '-'")
    problem = password_problem(password, login)
    if problem:
        raise ValueError(f"password {problem}")
    await migrate(settings)
    hasher = PasswordHasher(settings.bcrypt_rounds, threads=1)
    # Sessions a reset ends are mirrored to Redis like any revocation (skipped when it is down:
    # the services then find them in Postgres once their mirror expires).
    redis = Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_seconds)
    revocations = RevocationList(redis, settings.access_ttl_seconds, settings.revocation_mirror_ttl_seconds)
    try:
        async with orm(settings):
            service = SuperuserService(hasher, RoleService(), CredentialsVersion(revocations))
            return await service.create_or_update(login, password, email)
    finally:
        hasher.close()
        await redis.aclose()
