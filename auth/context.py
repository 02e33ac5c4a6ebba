"""The typed `app.ctx` of the auth service, and the app and request types that carry it."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from redis.asyncio import Redis
from sanic import Request, Sanic
from sanic.config import Config

from auth.services.accounts import AccountService
from auth.services.audit import AuditLog
from auth.services.health import HealthService
from auth.services.login_history import LoginHistory
from auth.services.passwords import PasswordHasher
from auth.services.rate_limits import RateLimit
from auth.services.roles import RoleService
from auth.services.sessions import SessionService
from auth.services.signing_keys import SigningKey, VerificationKey
from auth.services.totp import TotpService
from auth.services.totp_keys import TotpKeyring
from auth.settings import Settings


@dataclass(frozen=True)
class RateLimits:
    signup: RateLimit
    password: RateLimit


class AuthContext:
    """What the process keeps on `app.ctx`: the settings and the keys from the factory on
    (a missing key fails before listening); the clients and the services from
    `before_server_start` on, since they belong to the server's event loop."""

    redis: Redis
    hasher: PasswordHasher
    accounts: AccountService
    sessions: SessionService
    roles: RoleService
    login_history: LoginHistory
    health: HealthService
    rate_limits: RateLimits
    audit: AuditLog
    totp: TotpService

    def __init__(
        self,
        settings: Settings,
        signing_key: SigningKey,
        totp_keyring: TotpKeyring,
        previous_keys: list[VerificationKey] | None = None,
    ) -> None:
        self.settings = settings
        self.signing_key = signing_key
        self.totp_keyring = totp_keyring
        self.previous_keys = previous_keys or []


AuthApp = Sanic[Config, AuthContext]
AuthRequest = Request[AuthApp, SimpleNamespace]
