"""Creating the first administrator from the command line."""

from __future__ import annotations

import re
import uuid

from tortoise import Tortoise

from auth.database import migrate, tortoise_config
from auth.models import Role, User, UserRole
from auth.services.accounts import LOGIN_PATTERN
from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher
from auth.services.roles import ADMIN_ROLE
from auth.settings import Settings


async def create_superuser(settings: Settings, login: str, password: str, email: str | None) -> str:
    """Create the account (or give an existing one a new password) and grant it the admin role."""
    if not re.fullmatch(LOGIN_PATTERN, login):
        raise ValueError("login: 3-64 letters, digits, '.', '_' or '-'")
    problem = password_problem(password, login)
    if problem:
        raise ValueError(f"password {problem}")
    await migrate(settings)
    hasher = PasswordHasher(settings.bcrypt_rounds, threads=1)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        password_hash = await hasher.hash(password)
        user = await User.get_or_none(login=login)
        if user is None:
            user = await User.create(id=uuid.uuid4(), login=login, email=email, password_hash=password_hash)
            verb = "created"
        else:
            user.password_hash = password_hash
            await user.save(update_fields=["password_hash", "updated_at"])
            verb = "updated"
        admin = await Role.get(name=ADMIN_ROLE)
        await UserRole.get_or_create(user_id=user.id, role_id=admin.id, defaults={"id": uuid.uuid4()})
        return f"{verb} superuser {login} ({user.id})"
    finally:
        hasher.close()
        await Tortoise.close_connections()
