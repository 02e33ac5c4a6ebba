"""Sign-up, the caller's own account and changes to it, and the administrator made from the CLI."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from auth.errors import Conflict, InvalidRequest, InvalidToken, PermissionDenied, TooManyAttempts
from auth.models import LoginOutcome, User
from auth.services.client_address import Client
from auth.services.credentials import CredentialsVersion
from auth.services.login_history import LoginHistory
from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher
from auth.services.roles import RoleService
from auth.services.throttle import AttemptThrottle

# 3-64 letters, digits, '.', '_' or '-': safe in URLs, logs and file names alike.
LOGIN_PATTERN = r"^[A-Za-z0-9._-]{3,64}$"


@dataclass(frozen=True)
class Account:
    """A user with the names of the roles they hold."""

    user: User
    roles: list[str]


def _require_acceptable(password: str, login: str, field: str = "password") -> None:
    problem = password_problem(password, login)
    if problem:
        raise InvalidRequest([{"field": field, "message": f"password {problem}"}])


class AccountService:
    def __init__(
        self,
        hasher: PasswordHasher,
        roles: RoleService,
        credentials: CredentialsVersion,
        throttle: AttemptThrottle,
        history: LoginHistory,
    ) -> None:
        self._hasher = hasher
        self._roles = roles
        self._credentials = credentials
        # Guesses of the current password by a token holder, counted like login attempts.
        self._throttle = throttle
        self._history = history

    async def sign_up(self, login: str, password: str, email: str | None) -> Account:
        _require_acceptable(password, login)
        if await User.exists(login__iexact=login):
            raise Conflict(f"login {login!r} is taken")
        password_hash = await self._hasher.hash(password)
        try:
            user = await User.create(id=uuid.uuid4(), login=login, email=email, password_hash=password_hash)
        except IntegrityError as error:
            # Two sign-ups raced for the same login; the unique index decided.
            raise Conflict(f"login {login!r} is taken") from error
        return Account(user, [])

    async def own_user(self, user_id: uuid.UUID) -> User:
        return await self._user(user_id)

    async def own_account(self, user_id: uuid.UUID) -> Account:
        """The account a valid token names; it may have been deleted since the token was issued."""
        user = await self._user(user_id)
        return Account(user, await self._roles.role_names(user.id))

    async def change_login(self, user_id: uuid.UUID, login: str, password: str, client: Client) -> Account:
        """Requires the current password, like a password change."""
        user = await self._user(user_id)
        await self._check_current_password(user, password, client, field="password")
        if login != user.login:
            if await User.filter(login__iexact=login).exclude(id=user.id).exists():
                raise Conflict(f"login {login!r} is taken")
            user.login = login
            try:
                await user.save(update_fields=["login", "updated_at"])
            except IntegrityError as error:
                raise Conflict(f"login {login!r} is taken") from error
        return Account(user, await self._roles.role_names(user.id))

    async def change_password(
        self,
        user_id: uuid.UUID,
        old_password: str,
        new_password: str,
        current_session: uuid.UUID,
        client: Client,
    ) -> None:
        """Requires the old password; every other session of the user ends, including one a
        concurrent login is opening with the old password (see `CredentialsVersion`)."""
        user = await self._user(user_id)
        await self._check_current_password(user, old_password, client, field="old_password")
        _require_acceptable(new_password, user.login, field="new_password")
        new_hash = await self._hasher.hash(new_password)
        await self._credentials.bump(user.id, new_hash, keep=current_session)

    async def confirm_password(self, user_id: uuid.UUID, password: str, client: Client) -> User:
        """The caller's account, once their current password is checked (throttled, recorded)."""
        user = await self._user(user_id)
        await self._check_current_password(user, password, client, field="password")
        return user

    async def _check_current_password(self, user: User, password: str, client: Client, field: str) -> None:
        """Throttled and recorded like a login: a stolen access token must not become a fast
        oracle for the account's password."""
        verdict = await self._throttle.admit(str(user.id), client.ip)
        if not verdict.admitted:
            if verdict.first_refusal:
                await self._history.record(
                    user.login, LoginOutcome.THROTTLED, user.id, client.ip, client.user_agent
                )
            raise TooManyAttempts(verdict.retry_after)
        if not await self._hasher.verify(password, user.password_hash):
            outcome = LoginOutcome.WRONG_OLD_PASSWORD
            await self._history.record(user.login, outcome, user.id, client.ip, client.user_agent)
            raise PermissionDenied(f"{field} is wrong")
        await self._throttle.succeeded(str(user.id), client.ip)

    async def _user(self, user_id: uuid.UUID) -> User:
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise InvalidToken("the account no longer exists")
        return user


class SuperuserService:
    """The administrator made from the command line. Resetting an existing account's password
    ends its sessions, as a password change does."""

    def __init__(self, hasher: PasswordHasher, roles: RoleService, credentials: CredentialsVersion) -> None:
        self._hasher = hasher
        self._roles = roles
        self._credentials = credentials

    async def create_or_update(self, login: str, password: str, email: str | None) -> str:
        """Create the account (or give an existing one a new password) and grant it the admin role."""
        password_hash = await self._hasher.hash(password)
        user = await User.get_or_none(login__iexact=login)
        if user is None:
            user = await User.create(id=uuid.uuid4(), login=login, email=email, password_hash=password_hash)
            verb = "created"
        else:
            ended = await self._credentials.bump(user.id, password_hash)
            verb = f"updated (its {len(ended)} open session(s) ended)"
        await self._roles.grant_admin(user.id)
        return f"superuser {login} ({user.id}) {verb}"
