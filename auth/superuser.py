"""Creating the first administrator from the command line."""

from __future__ import annotations

import re

from auth.database import migrate, orm
from auth.services.accounts import LOGIN_PATTERN, SuperuserService
from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher
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
    try:
        async with orm(settings):
            return await SuperuserService(hasher, RoleService()).create_or_update(login, password, email)
    finally:
        hasher.close()
