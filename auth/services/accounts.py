"""Sign-up and changes to one's own account."""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError

from auth.errors import Conflict, InvalidRequest, PermissionDenied
from auth.models import User
from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher
from auth.services.revocation import RevocationList

# 3-64 letters, digits, '.', '_' or '-': safe in URLs, logs and file names alike.
LOGIN_PATTERN = r"^[A-Za-z0-9._-]{3,64}$"


def _require_acceptable(password: str, login: str, field: str = "password") -> None:
    problem = password_problem(password, login)
    if problem:
        raise InvalidRequest([{"field": field, "message": f"password {problem}"}])


class AccountService:
    def __init__(self, hasher: PasswordHasher, revocations: RevocationList) -> None:
        self._hasher = hasher
        self._revocations = revocations

    async def sign_up(self, login: str, password: str, email: str | None) -> User:
        _require_acceptable(password, login)
        if await User.exists(login=login):
            raise Conflict(f"login {login!r} is taken")
        password_hash = await self._hasher.hash(password)
        try:
            return await User.create(id=uuid.uuid4(), login=login, email=email, password_hash=password_hash)
        except IntegrityError as error:
            # Two sign-ups raced for the same login; the unique index decided.
            raise Conflict(f"login {login!r} is taken") from error

    async def change_login(self, user: User, login: str) -> User:
        if login == user.login:
            return user
        if await User.exists(login=login):
            raise Conflict(f"login {login!r} is taken")
        user.login = login
        try:
            await user.save(update_fields=["login", "updated_at"])
        except IntegrityError as error:
            raise Conflict(f"login {login!r} is taken") from error
        return user

    async def change_password(
        self, user: User, old_password: str, new_password: str, current_session: uuid.UUID
    ) -> None:
        """Requires the old password; every other session of the user ends."""
        if not await self._hasher.verify(old_password, user.password_hash):
            raise PermissionDenied("old_password is wrong")
        _require_acceptable(new_password, user.login, field="new_password")
        user.password_hash = await self._hasher.hash(new_password)
        await user.save(update_fields=["password_hash", "updated_at"])
        await self._revocations.revoke_user_sessions(user.id, keep=current_session)
