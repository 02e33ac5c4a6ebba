"""Login, refresh, logout and access-token authentication: the life of a session."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from tortoise import connections

from auth.errors import (
    ChallengeExhausted,
    HashingBusy,
    InvalidChallenge,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    TooManyAttempts,
)
from auth.metrics import LOGINS
from auth.models import LoginOutcome, Session, User
from auth.services.accounts import LOGIN_PATTERN
from auth.services.audit import AuditLog
from auth.services.client_address import Client
from auth.services.credentials import CredentialsVersion
from auth.services.login_challenges import LoginChallenges, OpenChallenge
from auth.services.login_history import LoginHistory
from auth.services.passwords import PasswordHasher
from auth.services.revocation import RevocationList
from auth.services.roles import RoleService
from auth.services.throttle import AttemptThrottle
from auth.services.tokens import ONE_TIME_CODE, PASSWORD, TokenClaims, TokenCodec, TokenPair, TokenType
from auth.services.totp import CodeCheck, TotpService


class SessionService:
    def __init__(
        self,
        hasher: PasswordHasher,
        codec: TokenCodec,
        revocations: RevocationList,
        throttle: AttemptThrottle,
        roles: RoleService,
        history: LoginHistory,
        credentials: CredentialsVersion,
        totp: TotpService,
        challenges: LoginChallenges,
        audit: AuditLog,
        refresh_ttl_seconds: int,
        max_age_seconds: int,
    ) -> None:
        self._hasher = hasher
        self._codec = codec
        self._revocations = revocations
        self._throttle = throttle
        self._roles = roles
        self._history = history
        self._credentials = credentials
        self._totp = totp
        self._challenges = challenges
        self._audit = audit
        self._refresh_ttl = timedelta(seconds=refresh_ttl_seconds)
        self._max_age = timedelta(seconds=max_age_seconds)

    async def log_in(self, login: str, password: str, client: Client) -> TokenPair | OpenChallenge:
        """Unknown logins and wrong passwords cost one bcrypt check each and give the same 401.

        The throttle admits and counts the attempt before the password is checked, so attempts
        sent at once are held by the same count as attempts sent one by one. With TOTP on, the
        right password opens a challenge (`complete_login`), not a session.
        """
        if not self._hasher.has_room():
            LOGINS.labels("busy").inc()
            raise HashingBusy(retry_after=1)
        verdict = await self._throttle.admit(login, client.ip)
        # A login no account can have is unknown without asking: the ORM refuses to compare a
        # value longer than the column (a 500 found by the generated-input tests).
        known_login = re.fullmatch(LOGIN_PATTERN, login) is not None
        if not verdict.admitted:
            if verdict.first_refusal:
                user = await User.get_or_none(login__iexact=login) if known_login else None
                await self._history.record(
                    login, LoginOutcome.THROTTLED, user.id if user else None, client.ip, client.user_agent
                )
            LOGINS.labels("throttled").inc()
            raise TooManyAttempts(verdict.retry_after)
        user = await User.get_or_none(login__iexact=login) if known_login else None
        user_id = user.id if user else None
        try:
            matches = await self._hasher.verify(password, user.password_hash if user else None)
        except HashingBusy:
            LOGINS.labels("busy").inc()
            raise
        if not matches or user is None:
            outcome = LoginOutcome.WRONG_PASSWORD if user else LoginOutcome.UNKNOWN_LOGIN
            LOGINS.labels(outcome).inc()
            await self._history.record(login, outcome, user_id, client.ip, client.user_agent)
            raise InvalidCredentials()
        if user.disabled_at is None and await self._totp.is_enabled(user.id):
            await self._throttle.succeeded(login, client.ip)
            LOGINS.labels("second_factor").inc()
            return await self._challenges.open(user.id, user.credentials_version)
        opened = await self._open_session(user, client) if user.disabled_at is None else None
        if opened is None:
            # Disabled, or the password was changed (or every session ended) while it was checked;
            # the answer is the same 401, so it tells nothing about the password.
            outcome = LoginOutcome.DISABLED if user.disabled_at else LoginOutcome.WRONG_PASSWORD
            LOGINS.labels(outcome).inc()
            await self._history.record(login, outcome, user.id, client.ip, client.user_agent)
            raise InvalidCredentials()
        await self._throttle.succeeded(login, client.ip)
        LOGINS.labels("success").inc()
        await self._history.record(login, LoginOutcome.SUCCESS, user.id, client.ip, client.user_agent)
        if self._hasher.needs_upgrade(user.password_hash):
            await self._upgrade_hash(user, password)
        session_id, refresh_jti = opened
        roles = await self._roles.role_names(user.id)
        return self._codec.issue_pair(user.id, session_id, refresh_jti, roles, [PASSWORD])

    async def complete_login(self, challenge: str, code: str, client: Client) -> TokenPair:
        """The second step: a TOTP code (or a backup code) completes the challenge, once.

        Wrong codes are counted by the account's second-factor throttle and by the challenge,
        which is void after its last allowed attempt.
        """
        attempt = await self._challenges.attempt(challenge)
        if attempt is None:
            raise InvalidChallenge()
        user = await User.get_or_none(id=attempt.user_id)
        if user is None or attempt.attempt > self._challenges.attempts:
            await self._challenges.close(challenge)
            raise InvalidChallenge()
        try:
            result = await self._totp.check_login_code(user, code, client)
        except TooManyAttempts:
            await self._audit.record("login.second_factor_throttled", subject=user.id, ip=client.ip)
            raise
        if result is not CodeCheck.ACCEPTED:
            await self._audit.record(
                "login.second_factor_failed", subject=user.id, ip=client.ip, reason=result
            )
            if attempt.attempt >= self._challenges.attempts:
                await self._challenges.close(challenge)
                raise ChallengeExhausted(retry_after=1)
            if result is CodeCheck.REUSED:
                raise InvalidCode("this code was already used: wait for the next one")
            raise InvalidCode("the code is wrong")
        if not await self._challenges.close(challenge):
            raise InvalidChallenge()
        opened = (
            await self._open_session(user, client, attempt.credentials_version)
            if user.disabled_at is None
            else None
        )
        if opened is None:
            # Disabled, or the password changed (or every session ended) since step one.
            outcome = LoginOutcome.DISABLED if user.disabled_at else LoginOutcome.WRONG_PASSWORD
            await self._history.record(user.login, outcome, user.id, client.ip, client.user_agent)
            raise InvalidChallenge()
        await self._history.record(user.login, LoginOutcome.SUCCESS, user.id, client.ip, client.user_agent)
        session_id, refresh_jti = opened
        roles = await self._roles.role_names(user.id)
        return self._codec.issue_pair(user.id, session_id, refresh_jti, roles, [PASSWORD, ONE_TIME_CODE])

    async def _upgrade_hash(self, user: User, password: str) -> None:
        """Replace a legacy (or cheaper) hash now that the password is known to be right; only if
        the hash is still the one checked, so a concurrent password change is never undone."""
        try:
            upgraded = await self._hasher.hash(password)
        except HashingBusy:
            return  # the next login will do it
        await User.filter(id=user.id, password_hash=user.password_hash).update(password_hash=upgraded)

    async def _open_session(
        self, user: User, client: Client, credentials_version: int | None = None
    ) -> tuple[uuid.UUID, uuid.UUID] | None:
        """A new session, opened only while the user's credentials version is the one read with
        the hash that was checked (the row lock orders it with a concurrent bump); a second step
        passes the version its challenge was opened under."""
        now = datetime.now(UTC)
        session_id, refresh_jti = uuid.uuid4(), uuid.uuid4()
        rows = await connections.get("default").execute_query_dict(
            'INSERT INTO "sessions" ("id", "user_id", "refresh_jti", "created_at", "expires_at", '
            '"absolute_expires_at", "credentials_version", "ip", "user_agent") '
            'SELECT $1, "id", $2, $3, $4, $5, "credentials_version", $6, $7 FROM "users" '
            'WHERE "id" = $8 AND "credentials_version" = $9 AND "disabled_at" IS NULL '
            'FOR SHARE RETURNING "id"',
            [
                session_id,
                refresh_jti,
                now,
                now + min(self._refresh_ttl, self._max_age),
                now + self._max_age,
                client.ip,
                client.user_agent,
                user.id,
                user.credentials_version if credentials_version is None else credentials_version,
            ],
        )
        return (session_id, refresh_jti) if rows else None

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair, exactly once.

        The swap is one conditional UPDATE, so of two concurrent refreshes only one matches the
        current ``refresh_jti``. A token that is validly signed but no longer current has been
        spent before: someone holds a copy, so the whole session ends.
        """
        claims = self._codec.decode(refresh_token, TokenType.REFRESH)
        now = datetime.now(UTC)
        new_jti = uuid.uuid4()
        # The session's absolute lifetime caps the new expiry; a changed credentials version
        # (password change, logout everywhere, reset) matches nothing.
        swapped = await connections.get("default").execute_query_dict(
            'UPDATE "sessions" AS s SET "refresh_jti" = $3, "refreshed_at" = $4, '
            '"expires_at" = LEAST($5, s."absolute_expires_at") FROM "users" AS u '
            'WHERE s."id" = $1 AND s."refresh_jti" = $2 AND s."revoked_at" IS NULL AND s."expires_at" > $4 '
            'AND u."id" = s."user_id" AND u."credentials_version" = s."credentials_version" RETURNING s."id"',
            [claims.session_id, claims.jti, new_jti, now, now + self._refresh_ttl],
        )
        if not swapped:
            session = await Session.get_or_none(id=claims.session_id).prefetch_related("user")
            if session is None or session.revoked_at is not None:
                raise InvalidToken("session has ended")
            if session.expires_at <= now:
                raise InvalidToken("session expired")
            await self._revocations.revoke([session.id])
            if session.user.credentials_version != session.credentials_version:
                raise InvalidToken("the credentials changed; the session has been ended")
            raise InvalidToken("refresh token was already used; the session has been ended")
        roles = await self._roles.role_names(claims.user_id)
        return self._codec.issue_pair(claims.user_id, claims.session_id, new_jti, roles, claims.amr)

    async def authenticate(self, access_token: str) -> TokenClaims:
        """The claims of a valid access token whose session is still open."""
        claims = self._codec.decode(access_token, TokenType.ACCESS)
        if await self._revocations.is_revoked(claims.session_id):
            raise InvalidToken("session has ended")
        return claims

    async def log_out(self, claims: TokenClaims, everywhere: bool) -> None:
        if everywhere:
            await self._credentials.bump(claims.user_id)
        else:
            await self._revocations.revoke([claims.session_id])

    async def open_sessions(self, user_id: uuid.UUID) -> list[Session]:
        """Sessions not ended and not expired, newest first."""
        now = datetime.now(UTC)
        return await Session.filter(user_id=user_id, revoked_at=None, expires_at__gt=now).order_by(
            "-created_at", "-id"
        )

    async def end_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """404 for a session that is not the user's or has ended: nobody learns others' ids."""
        if not await Session.exists(id=session_id, user_id=user_id, revoked_at=None):
            raise NotFound(f"session {session_id} not found")
        await self._revocations.revoke([session_id])

    async def sign_out_others(self, user_id: uuid.UUID, current: uuid.UUID) -> None:
        """Like a password change without one: sessions a login is opening right now end too."""
        await self._credentials.bump(user_id, keep=current)

    async def set_disabled(self, user_id: uuid.UUID, disabled: bool) -> None:
        """Disabling ends every session at once (a raised credentials version) and refuses logins."""
        updated = await User.filter(id=user_id).update(disabled_at=datetime.now(UTC) if disabled else None)
        if not updated:
            raise NotFound(f"user {user_id} not found")
        if disabled:
            await self._credentials.bump(user_id)
