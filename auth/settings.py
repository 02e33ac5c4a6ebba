"""All settings of the auth service, read once from the environment (prefix ``AUTH_``)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from request_ids import LogFormat


class Settings(BaseSettings):
    """Settings of one auth process; every field can be set as ``AUTH_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    log_format: LogFormat = "text"  # or json: one object a line
    # Every body this service reads is a small JSON object; Sanic would buffer up to 100 MB.
    max_body_bytes: int = Field(default=64 * 1024, gt=0)

    database_url: str = "postgres://cinema@127.0.0.1:5432/auth"
    database_pool_size: int = 10
    migrate_on_start: bool = True
    redis_url: str = "redis://127.0.0.1:6380/0"
    redis_timeout_seconds: float = 0.5

    # Signing key: a PEM file or the PEM itself; the key id defaults to the RFC 7638 thumbprint.
    private_key_file: Path | None = None
    private_key: str | None = None
    key_id: str | None = None
    # Public keys of earlier signing keys that still verify tokens; default: previous/ beside the key.
    previous_keys_dir: Path | None = None
    issuer: str = "cinema-auth"
    audience: str = "cinema"
    access_ttl_seconds: int = Field(default=15 * 60, gt=0)
    refresh_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    # A session's absolute lifetime: refreshes never extend it past this age.
    session_max_age_seconds: int = Field(default=90 * 24 * 3600, gt=0)
    # How long the Redis copy of the revocations is trusted before it is rebuilt from Postgres.
    revocation_mirror_ttl_seconds: int = Field(default=30, gt=0)

    # bcrypt's cost; lower it only in tests that are not about the cost itself.
    bcrypt_rounds: int = Field(default=12, ge=4, le=31)
    hash_threads: int = Field(default=os.cpu_count() or 1, gt=0)
    # Hashing threads yield to the event loop: see PasswordHasher.
    hash_thread_niceness: int = Field(default=10, ge=0, le=19)
    # Password checks waiting or running at once; beyond that a request gets 503 with Retry-After
    # at once instead of queueing without bound behind bcrypt.
    hash_queue_limit: int = Field(default=32, gt=0)

    # X-Forwarded-For is believed only when the peer is one of these (the gateway).
    trusted_proxies: Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] = Field(
        default_factory=lambda: [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
    )

    # Brute-force protection (auth/services/throttle.py): attempts allowed before delays start,
    # per account from one source, per source, and per account from sources it never logged in from.
    free_failures_per_account: int = Field(default=5, gt=0)
    free_failures_per_ip: int = Field(default=20, gt=0)
    free_failures_per_account_unknown_sources: int = Field(default=50, gt=0)
    failure_window_seconds: int = 15 * 60
    first_delay_seconds: int = 1
    max_delay_seconds: int = 5 * 60

    # Request rate limits (auth/services/rate_limits.py): sign-ups per client address, password
    # and login changes per account, each in a fixed window.
    signups_per_ip: int = Field(default=20, gt=0)
    signup_window_seconds: int = Field(default=3600, gt=0)
    password_changes_per_account: int = Field(default=10, gt=0)
    password_change_window_seconds: int = Field(default=3600, gt=0)

    # Two-factor login (auth/services/totp.py). The secrets are encrypted with AES-256-GCM under
    # keys given inline (comma-separated base64 of 32 bytes) or in a file (one a line); the first
    # is the active one, the others only decrypt. Default file: totp.keys beside the signing key.
    totp_encryption_key: str | None = None
    totp_encryption_key_file: Path | None = None
    totp_issuer: str = "Cinema"
    # Roles whose holders must have logged in with a second factor to pass any permission check.
    totp_required_roles: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["admin"])
    totp_challenge_seconds: int = Field(default=5 * 60, gt=0)
    # Wrong codes one login challenge takes before it is void (the account's throttle counts too).
    totp_attempts_per_challenge: int = Field(default=5, gt=0)
    totp_backup_codes: int = Field(default=10, gt=0, le=100)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [
                ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
            ]
        return value

    @field_validator("totp_required_roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
