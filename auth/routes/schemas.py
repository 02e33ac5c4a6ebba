"""Shapes of request bodies, query strings and responses (validated by pydantic via sanic-ext)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

from auth.models import AuditEvent, LoginAttempt, LoginOutcome, Role, Session
from auth.services.accounts import LOGIN_PATTERN, Account
from auth.services.health import Health
from auth.services.login_challenges import OpenChallenge
from auth.services.tokens import TokenPair
from auth.services.totp import Enrolment, TotpStatus

Login = Annotated[str, StringConstraints(pattern=LOGIN_PATTERN)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
# Length rules of passwords live in the password policy so the reason names the rule broken;
# this bound only keeps absurd bodies away from it.
Password = Annotated[str, StringConstraints(max_length=1024)]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
Permission = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]+(:[a-z0-9_.-]+)*$", max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUpBody(_Body):
    login: Login = Field(description="3-64 letters, digits, '.', '_' or '-'")
    password: Password = Field(description="8 to 128 characters of any script, not a common password")
    email: Email | None = None


class LogInBody(_Body):
    login: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    password: Password


class RefreshBody(_Body):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class LogOutBody(_Body):
    all: bool = Field(default=False, description="end every session of the user, not just this one")


class ChangeLoginBody(_Body):
    login: Login
    password: Password = Field(description="the current password")


class ChangePasswordBody(_Body):
    old_password: Password
    new_password: Password


TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
# A TOTP code, or a backup code (ten base32 letters and digits, the hyphen optional).
SecondFactorCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[A-Za-z2-7]{5}-?[A-Za-z2-7]{5})$")]
ChallengeToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,128}$")]


class ConfirmTotpBody(_Body):
    code: TotpCode = Field(description="the 6-digit code the authenticator app shows now")


class TotpProofBody(_Body):
    password: Password = Field(description="the current password")
    code: TotpCode = Field(description="the 6-digit code the authenticator app shows now")


class SecondFactorBody(_Body):
    challenge: ChallengeToken = Field(description="the challenge the login with the password gave")
    code: SecondFactorCode = Field(description="a 6-digit TOTP code, or an unused backup code (xxxxx-xxxxx)")


class CreateRoleBody(_Body):
    name: RoleName = Field(description="unique slug: lowercase letters, digits, '_' or '-'")
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    permissions: list[Permission] = Field(default_factory=list, max_length=200)


class UpdateRoleBody(_Body):
    name: RoleName | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    permissions: list[Permission] | None = Field(default=None, max_length=200)


class PageQuery(BaseModel):
    """The content API's pagination: page_number from 1, page_size from 1 to 100."""

    model_config = ConfigDict(extra="ignore")

    page_number: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=50, ge=1, le=100)


# isoformat's "+00:00", which these answers have always carried, where pydantic would write "Z".
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class UserOut(BaseModel):
    id: uuid.UUID
    login: str
    email: str | None
    roles: list[str]
    created_at: Timestamp

    @classmethod
    def of(cls, account: Account) -> UserOut:
        user = account.user
        return cls(
            id=user.id, login=user.login, email=user.email, roles=account.roles, created_at=user.created_at
        )


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (the scheme name)
    expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> TokenPairOut:
        return cls(
            access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
        )


class LoginChallengeOut(BaseModel):
    """The password was right and the account has two-factor login: send a code with this."""

    challenge: str = Field(description="for POST /auth/api/v1/login/second-factor; single use")
    expires_in: int = Field(description="seconds until the challenge expires")
    methods: list[str] = Field(default=["totp", "backup_code"])

    @classmethod
    def of(cls, challenge: OpenChallenge) -> LoginChallengeOut:
        return cls(challenge=challenge.token, expires_in=challenge.expires_in)


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="base32, for typing into an authenticator app")
    provisioning_uri: str = Field(description="otpauth:// URI with issuer and account, for a QR code")

    @classmethod
    def of(cls, enrolment: Enrolment) -> TotpEnrolmentOut:
        return cls(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)


class BackupCodesOut(BaseModel):
    backup_codes: list[str] = Field(description="single-use codes, shown this once and never again")


class TotpStatusOut(BaseModel):
    enabled: bool = Field(description="confirmed: logins need a code")
    pending: bool = Field(description="an enrolment was started and not confirmed")
    backup_codes_left: int

    @classmethod
    def of(cls, status: TotpStatus) -> TotpStatusOut:
        return cls(enabled=status.enabled, pending=status.pending, backup_codes_left=status.backup_codes_left)


class RoleOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    permissions: list[str]
    builtin: bool

    @classmethod
    def of(cls, role: Role) -> RoleOut:
        return cls(
            id=role.id,
            name=role.name,
            description=role.description,
            permissions=list(role.permissions),
            builtin=role.is_builtin,
        )


class LoginAttemptOut(BaseModel):
    attempted_at: Timestamp
    success: bool
    outcome: str
    ip: str | None
    user_agent: str | None

    @classmethod
    def of(cls, attempt: LoginAttempt) -> LoginAttemptOut:
        return cls(
            attempted_at=attempt.attempted_at,
            success=attempt.outcome == LoginOutcome.SUCCESS,
            outcome=str(attempt.outcome),
            ip=attempt.ip,
            user_agent=attempt.user_agent,
        )


class SessionOut(BaseModel):
    id: uuid.UUID
    created_at: Timestamp
    last_used_at: Timestamp = Field(description="the login, or the latest refresh")
    expires_at: Timestamp
    ip: str | None
    user_agent: str | None
    current: bool = Field(description="the session of the token that asked")

    @classmethod
    def of(cls, session: Session, current: uuid.UUID) -> SessionOut:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_used_at=session.refreshed_at or session.created_at,
            expires_at=session.expires_at,
            ip=session.ip,
            user_agent=session.user_agent,
            current=session.id == current,
        )


class AuditEventOut(BaseModel):
    at: Timestamp
    event: str = Field(description="e.g. login.success, password.changed, role.granted, permission.denied")
    actor_id: uuid.UUID | None = Field(description="who did it (none for anonymous requests)")
    subject_id: uuid.UUID | None = Field(description="the account it was done to")
    ip: str | None
    details: dict[str, str]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            at=event.at,
            event=event.event,
            actor_id=event.actor_id,
            subject_id=event.subject_id,
            ip=event.ip,
            details={str(key): str(value) for key, value in event.details.items()},
        )


class PermissionOut(BaseModel):
    user_id: uuid.UUID
    permission: str
    granted: bool


class JwkOut(BaseModel):
    """An Ed25519 public key (RFC 8037) with its key id."""

    crv: str
    kty: str
    x: str
    kid: str
    alg: str
    use: str


class JwksOut(BaseModel):
    keys: list[JwkOut]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    postgres: Literal["ok", "unavailable"]
    redis: Literal["ok", "unavailable"]

    @classmethod
    def of(cls, health: Health) -> HealthOut:
        if not health.ready:
            status: Literal["ok", "degraded", "unavailable"] = "unavailable"
        else:
            status = "ok" if health.redis else "degraded"
        return cls(
            status=status,
            postgres="ok" if health.postgres else "unavailable",
            redis="ok" if health.redis else "unavailable",
        )
