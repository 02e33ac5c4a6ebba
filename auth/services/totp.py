"""TOTP two-factor login: enrolment, codes, backup codes, and the admin's reset.

Codes are RFC 6238's (SHA-1, 6 digits, 30-second steps), as every authenticator app makes them;
one step either side of the server's clock is accepted for clock drift. Every check of a code is
throttled like a password (`AttemptThrottle`, kind ``second-factor``, counted per account from
each source before the code is checked), and a step whose code was accepted is never accepted
again: the factor's ``last_used_step`` moves forward in one conditional UPDATE, so of two requests
with the same code only one passes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pyotp
from tortoise import connections
from tortoise.transactions import in_transaction

from auth.errors import Conflict, NotFound, PermissionDenied, TooManyAttempts
from auth.models import BackupCode, TotpFactor, User
from auth.services.audit import AuditLog
from auth.services.client_address import Client
from auth.services.throttle import AttemptThrottle
from auth.services.totp_keys import SealedSecret, TotpKeyring

# Backup codes: 10 characters of RFC 4648 base32 (50 random bits), shown as two groups of five.
_BACKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_BACKUP_LENGTH = 10
DRIFT_STEPS = 1


class CodeCheck(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    REUSED = "reused"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str


@dataclass(frozen=True)
class TotpStatus:
    enabled: bool
    pending: bool
    backup_codes_left: int


def normalize_backup_code(code: str) -> str:
    return code.replace("-", "").lower()


def _digest(backup_code: str) -> str:
    return hashlib.sha256(normalize_backup_code(backup_code).encode()).hexdigest()


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


class TotpService:
    def __init__(
        self,
        keyring: TotpKeyring,
        issuer: str,
        backup_code_count: int,
        throttle: AttemptThrottle,
        audit: AuditLog,
    ) -> None:
        self._keyring = keyring
        self._issuer = issuer
        self._backup_code_count = backup_code_count
        self._throttle = throttle
        self._audit = audit

    async def status(self, user_id: uuid.UUID) -> TotpStatus:
        factor = await TotpFactor.get_or_none(user_id=user_id)
        left = await BackupCode.filter(user_id=user_id, used_at=None).count()
        enabled = factor is not None and factor.confirmed_at is not None
        return TotpStatus(enabled=enabled, pending=factor is not None and not enabled, backup_codes_left=left)

    async def is_enabled(self, user_id: uuid.UUID) -> bool:
        return await TotpFactor.exists(user_id=user_id, confirmed_at__not_isnull=True)

    async def start_enrolment(self, user: User) -> Enrolment:
        """A new secret, pending until confirmed; a pending one before it is replaced."""
        secret = pyotp.random_base32()
        sealed = self._keyring.seal(secret, user.id)
        # One statement, so that a concurrent confirmation can never see a half-replaced factor
        # and a confirmed factor is never overwritten.
        rows = await connections.get("default").execute_query_dict(
            'INSERT INTO "totp_factors" ("user_id", "secret_key_id", "secret_ciphertext", "created_at") '
            'VALUES ($1, $2, $3, now()) ON CONFLICT ("user_id") DO UPDATE SET '
            '"secret_key_id" = EXCLUDED."secret_key_id", "secret_ciphertext" = EXCLUDED."secret_ciphertext", '
            '"created_at" = EXCLUDED."created_at", "last_used_step" = NULL '
            'WHERE "totp_factors"."confirmed_at" IS NULL RETURNING "user_id"',
            [user.id, sealed.key_id, sealed.ciphertext],
        )
        if not rows:
            raise Conflict("two-factor login is already on; disable it first to enrol again")
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.login, issuer_name=self._issuer)
        return Enrolment(secret=secret, provisioning_uri=uri)

    async def confirm(self, user: User, code: str, client: Client) -> list[str]:
        """Turn TOTP on with a current code; returns the backup codes, the only time they are shown."""
        factor = await TotpFactor.get_or_none(user_id=user.id)
        if factor is None:
            raise NotFound(
                "no two-factor enrolment to confirm: start one with POST /auth/api/v1/users/me/totp"
            )
        if factor.confirmed_at is not None:
            raise Conflict("two-factor login is already on")
        await self._admit(user.id, client)
        step = self._matching_step(factor, code)
        if step is None:
            raise PermissionDenied("code is wrong")
        updated = await TotpFactor.filter(
            user_id=user.id, confirmed_at=None, secret_ciphertext=factor.secret_ciphertext
        ).update(confirmed_at=datetime.now(UTC), last_used_step=step)
        if not updated:
            raise Conflict("the enrolment changed while it was confirmed: start it again")
        await self._throttle.succeeded(str(user.id), client.ip)
        return await self._replace_backup_codes(user.id)

    async def regenerate_backup_codes(self, user: User, code: str, client: Client) -> list[str]:
        """New backup codes (the old ones stop working); the password is checked by the caller."""
        await self._require_current_code(user, code, client)
        return await self._replace_backup_codes(user.id)

    async def disable(self, user: User, code: str, client: Client) -> None:
        await self._require_current_code(user, code, client)
        await TotpFactor.filter(user_id=user.id).delete()
        await BackupCode.filter(user_id=user.id).delete()

    async def reset(self, user_id: uuid.UUID) -> bool:
        """An administrator's reset (a lost device): factor and backup codes go; whether there was one."""
        if not await User.exists(id=user_id):
            raise NotFound(f"user {user_id} not found")
        async with in_transaction():
            removed = await TotpFactor.filter(user_id=user_id).delete()
            await BackupCode.filter(user_id=user_id).delete()
        return bool(removed)

    async def check_login_code(self, user: User, code: str, client: Client) -> CodeCheck:
        """The second step of a login: a TOTP code, or an unused backup code, throttled."""
        await self._admit(user.id, client)
        if is_totp_code(code):
            result = await self._use_totp_code(user.id, code)
        else:
            result = await self._use_backup_code(user, code, client)
        if result is CodeCheck.ACCEPTED:
            await self._throttle.succeeded(str(user.id), client.ip)
        return result

    async def _require_current_code(self, user: User, code: str, client: Client) -> None:
        if not await self.is_enabled(user.id):
            raise Conflict("two-factor login is not on")
        await self._admit(user.id, client)
        result = await self._use_totp_code(user.id, code)
        if result is CodeCheck.REUSED:
            raise PermissionDenied("code was already used: wait for the next one")
        if result is CodeCheck.WRONG:
            raise PermissionDenied("code is wrong")
        await self._throttle.succeeded(str(user.id), client.ip)

    async def _admit(self, user_id: uuid.UUID, client: Client) -> None:
        verdict = await self._throttle.admit(str(user_id), client.ip)
        if not verdict.admitted:
            if verdict.first_refusal:
                await self._audit.record("totp.throttled", subject=user_id, ip=client.ip)
            raise TooManyAttempts(verdict.retry_after)

    def _matching_step(self, factor: TotpFactor, code: str) -> int | None:
        secret = self._keyring.open(
            SealedSecret(factor.secret_key_id, factor.secret_ciphertext), factor.user_id
        )
        totp = pyotp.TOTP(secret)
        current = totp.timecode(datetime.now(UTC))
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    async def _use_totp_code(self, user_id: uuid.UUID, code: str) -> CodeCheck:
        factor = await TotpFactor.get_or_none(user_id=user_id, confirmed_at__not_isnull=True)
        if factor is None:
            return CodeCheck.WRONG
        step = self._matching_step(factor, code)
        if step is None:
            return CodeCheck.WRONG
        moved = await connections.get("default").execute_query_dict(
            'UPDATE "totp_factors" SET "last_used_step" = $2 WHERE "user_id" = $1 '
            'AND "confirmed_at" IS NOT NULL AND ("last_used_step" IS NULL OR "last_used_step" < $2) '
            'RETURNING "user_id"',
            [user_id, step],
        )
        return CodeCheck.ACCEPTED if moved else CodeCheck.REUSED

    async def _use_backup_code(self, user: User, code: str, client: Client) -> CodeCheck:
        spent = await BackupCode.filter(user_id=user.id, code_hash=_digest(code), used_at=None).update(
            used_at=datetime.now(UTC)
        )
        if not spent:
            return CodeCheck.WRONG
        left = await BackupCode.filter(user_id=user.id, used_at=None).count()
        await self._audit.record(
            "totp.backup_code_used", actor=user.id, subject=user.id, ip=client.ip, left=left
        )
        return CodeCheck.ACCEPTED

    async def _replace_backup_codes(self, user_id: uuid.UUID) -> list[str]:
        codes = [_new_backup_code() for _ in range(self._backup_code_count)]
        async with in_transaction():
            await BackupCode.filter(user_id=user_id).delete()
            await BackupCode.bulk_create(
                [BackupCode(id=uuid.uuid4(), user_id=user_id, code_hash=_digest(code)) for code in codes]
            )
        return codes
