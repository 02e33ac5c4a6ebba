"""The app factory: settings in, a Sanic app with its blueprints, clients and error handling out."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path

import orjson
from redis.asyncio import Redis
from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse
from tortoise.contrib.sanic import register_tortoise

import request_ids
import service_metrics
from auth.context import AuthApp, AuthContext, RateLimits
from auth.database import tortoise_config
from auth.errors import install_error_handlers
from auth.metrics import watch_hashing_queue
from auth.routes.accounts import accounts
from auth.routes.audit import audit
from auth.routes.own_sessions import own_sessions
from auth.routes.permissions import permissions
from auth.routes.roles import roles
from auth.routes.service_info import service_info
from auth.routes.sessions import sessions
from auth.routes.totp import totp
from auth.routes.user_admin import user_admin
from auth.services.accounts import AccountService
from auth.services.audit import AuditLog
from auth.services.credentials import CredentialsVersion
from auth.services.health import HealthService
from auth.services.login_challenges import LoginChallenges
from auth.services.login_history import LoginHistory
from auth.services.passwords import PasswordHasher
from auth.services.rate_limits import RateLimit
from auth.services.revocation import RevocationList
from auth.services.roles import RoleService
from auth.services.sessions import SessionService
from auth.services.signing_keys import load_previous_keys, load_signing_key
from auth.services.throttle import AttemptThrottle
from auth.services.tokens import TokenCodec
from auth.services.totp import TotpService
from auth.services.totp_keys import load_totp_keyring
from auth.settings import Settings
from http_errors import ErrorBody
from openapi30 import document_size_limits

log = logging.getLogger("auth")

_PARTITION_CHECK_SECONDS = 12 * 3600
SWAGGER_PAGE = Path(__file__).resolve().parent / "routes" / "swagger.html"


# Prometheus scrapes the service here; the public gateway refuses it unless configured.
METRICS_PATH = "/auth/metrics"


def create_app(settings: Settings, name: str = "auth") -> AuthApp:
    """Build the service; the keys are loaded here so a missing key fails before listening."""
    # The OpenAPI document keys responses by integer status codes, hence OPT_NON_STR_KEYS.
    app = Sanic(
        name,
        ctx=AuthContext(
            settings, load_signing_key(settings), load_totp_keyring(settings), load_previous_keys(settings)
        ),
        dumps=partial(orjson.dumps, option=orjson.OPT_NON_STR_KEYS),
        # Sanic's loggers go through the root handler of request_ids.configure_logging.
        configure_logging=False,
    )
    request_ids.install(app)
    service_metrics.install(app, METRICS_PATH)
    app.config.OAS_URL_PREFIX = "/auth/openapi"
    app.config.OAS_UI_DEFAULT = "swagger"
    app.config.OAS_UI_REDOC = False
    # Our own page: sanic-ext's loads unpinned scripts from a CDN; this one pins each by its hash.
    app.config.OAS_PATH_TO_SWAGGER_HTML = str(SWAGGER_PAGE)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.ext.openapi.describe("Cinema auth service", version="1.0.0")
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")

    blueprints = (service_info, accounts, sessions, totp, own_sessions, roles, permissions, user_admin, audit)
    for blueprint in blueprints:
        app.blueprint(blueprint)
    document_size_limits(app, ErrorBody)
    install_error_handlers(app)
    app.register_middleware(_security_headers, "response")

    # Registered first: the ORM is up before the services start and closed after they stop.
    register_tortoise(app, config=tortoise_config(settings))
    app.register_listener(_open_clients, "before_server_start")
    app.register_listener(_close_clients, "after_server_stop")
    return app


async def _security_headers(request: Request, response: BaseHTTPResponse) -> None:
    """No answer is sniffed into another type; no API answer (tokens, accounts) is cached."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/auth/api/"):
        response.headers.setdefault("Cache-Control", "no-store")


async def _open_clients(app: AuthApp) -> None:
    """One Redis client, one hashing pool and the services over them, for the server's loop."""
    ctx, settings = app.ctx, app.ctx.settings
    ctx.redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
    )
    ctx.hasher = PasswordHasher(
        settings.bcrypt_rounds,
        settings.hash_threads,
        settings.hash_thread_niceness,
        settings.hash_queue_limit,
    )
    hasher = ctx.hasher
    watch_hashing_queue(lambda: hasher.pending)
    revocations = RevocationList(
        ctx.redis, settings.access_ttl_seconds, settings.revocation_mirror_ttl_seconds
    )
    ctx.roles = RoleService()
    ctx.audit = AuditLog()
    ctx.login_history = LoginHistory(ctx.audit)
    ctx.health = HealthService(ctx.redis)
    credentials = CredentialsVersion(revocations)
    ctx.accounts = AccountService(
        ctx.hasher,
        ctx.roles,
        credentials,
        AttemptThrottle(ctx.redis, settings, kind="current-password"),
        ctx.login_history,
    )
    ctx.rate_limits = RateLimits(
        signup=RateLimit(ctx.redis, "signup", settings.signups_per_ip, settings.signup_window_seconds),
        password=RateLimit(
            ctx.redis,
            "password",
            settings.password_changes_per_account,
            settings.password_change_window_seconds,
        ),
    )
    ctx.totp = TotpService(
        ctx.totp_keyring,
        settings.totp_issuer,
        settings.totp_backup_codes,
        AttemptThrottle(ctx.redis, settings, kind="second-factor"),
        ctx.audit,
    )
    ctx.sessions = SessionService(
        ctx.hasher,
        TokenCodec(ctx.signing_key, settings, ctx.previous_keys),
        revocations,
        AttemptThrottle(ctx.redis, settings),
        ctx.roles,
        ctx.login_history,
        credentials,
        ctx.totp,
        LoginChallenges(ctx.redis, settings.totp_challenge_seconds, settings.totp_attempts_per_challenge),
        ctx.audit,
        settings.refresh_ttl_seconds,
        settings.session_max_age_seconds,
    )
    app.add_task(_keep_partitions_ahead(ctx.login_history), name="login-history-partitions")


async def _close_clients(app: AuthApp) -> None:
    app.ctx.hasher.close()
    await app.ctx.redis.aclose()


async def _keep_partitions_ahead(history: LoginHistory) -> None:
    """Login history is partitioned by month: keep the next months' partitions in place."""
    while True:
        try:
            await history.ensure_partitions()
        except Exception as error:  # retried on the next round; the DEFAULT partition catches rows
            log.warning("could not create login history partitions: %r", error)
        await asyncio.sleep(_PARTITION_CHECK_SECONDS)
