"""Login, refresh, logout and access-token authentication: the life of a session."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auth.errors import HashingBusy, InvalidCredentials, InvalidToken, TooManyAttempts
from auth.models import LoginOutcome, Session, User
from auth.services.accounts import LOGIN_PATTERN
from auth.services.login_history import LoginHistory
from auth.services.passwords import PasswordHasher
from auth.services.revocation import RevocationList
from auth.services.roles import RoleService
from auth.services.throttle import AttemptThrottle
from auth.services.tokens import TokenClaims, TokenCodec, TokenPair, TokenType


@dataclass(frozen=True)
class Client:
    """Who is on the other end of a request, as far as login history is concerned."""

    ip: str | None
    user_agent: str | None


class SessionService:
    def __init__(
        self,
        hasher: PasswordHasher,
        codec: TokenCodec,
        revocations: RevocationList,
        throttle: AttemptThrottle,
        roles: RoleService,
        history: LoginHistory,
        refresh_ttl_seconds: int,
    ) -> None:
        self._hasher = hasher
        self._codec = codec
        self._revocations = revocations
        self._throttle = throttle
        self._roles = roles
        self._history = history
        self._refresh_ttl = timedelta(seconds=refresh_ttl_seconds)

    async def log_in(self, login: str, password: str, client: Client) -> TokenPair:
        """Unknown logins and wrong passwords cost one bcrypt check each and give the same 401.

        The throttle admits and counts the attempt before the password is checked, so attempts
        sent at once are held by the same count as attempts sent one by one.
        """
        if not self._hasher.has_room():
            raise HashingBusy(retry_after=1)
        verdict = await self._throttle.admit(login, client.ip)
        # A login no account can have is unknown without asking: the ORM refuses to compare a
        # value longer than the column (a 500 found by the generated-input tests).
        known_login = re.fullmatch(LOGIN_PATTERN, login) is not None
        if not verdict.admitted:
            if verdict.first_refusal:
                user = await User.get_or_none(login=login) if known_login else None
                await self._history.record(
                    login, LoginOutcome.THROTTLED, user.id if user else None, client.ip, client.user_agent
                )
            raise TooManyAttempts(verdict.retry_after)
        user = await User.get_or_none(login=login) if known_login else None
        user_id = user.id if user else None
        if not await self._hasher.verify(password, user.password_hash if user else None) or user is None:
            outcome = LoginOutcome.WRONG_PASSWORD if user else LoginOutcome.UNKNOWN_LOGIN
            await self._history.record(login, outcome, user_id, client.ip, client.user_agent)
            raise InvalidCredentials()
        await self._throttle.succeeded(login, client.ip)
        await self._history.record(login, LoginOutcome.SUCCESS, user.id, client.ip, client.user_agent)
        session = await Session.create(
            id=uuid.uuid4(),
            user_id=user.id,
            refresh_jti=uuid.uuid4(),
            expires_at=datetime.now(UTC) + self._refresh_ttl,
            ip=client.ip,
            user_agent=client.user_agent,
        )
        return self._codec.issue_pair(
            user.id, session.id, session.refresh_jti, await self._roles.role_names(user.id)
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair, exactly once.

        The swap is one conditional UPDATE, so of two concurrent refreshes only one matches the
        current ``refresh_jti``. A token that is validly signed but no longer current has been
        spent before: someone holds a copy, so the whole session ends.
        """
        claims = self._codec.decode(refresh_token, TokenType.REFRESH)
        now = datetime.now(UTC)
        new_jti = uuid.uuid4()
        swapped = await Session.filter(
            id=claims.session_id, refresh_jti=claims.jti, revoked_at=None, expires_at__gt=now
        ).update(refresh_jti=new_jti, refreshed_at=now, expires_at=now + self._refresh_ttl)
        if not swapped:
            session = await Session.get_or_none(id=claims.session_id)
            if session is None or session.revoked_at is not None:
                raise InvalidToken("session has ended")
            if session.expires_at <= now:
                raise InvalidToken("session expired")
            await self._revocations.revoke([session.id])
            raise InvalidToken("refresh token was already used; the session has been ended")
        return self._codec.issue_pair(
            claims.user_id, claims.session_id, new_jti, await self._roles.role_names(claims.user_id)
        )

    async def authenticate(self, access_token: str) -> TokenClaims:
        """The claims of a valid access token whose session is still open."""
        claims = self._codec.decode(access_token, TokenType.ACCESS)
        if await self._revocations.is_revoked(claims.session_id):
            raise InvalidToken("session has ended")
        return claims

    async def log_out(self, claims: TokenClaims, everywhere: bool) -> None:
        if everywhere:
            await self._revocations.revoke_user_sessions(claims.user_id)
        else:
            await self._revocations.revoke([claims.session_id])
