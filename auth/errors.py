"""One error type per failure kind of the auth service, on the shared contract of `http_errors`,
and the one place that maps them (and the account database going away) to JSON answers."""

from __future__ import annotations

import logging
from typing import Any

from asyncpg.exceptions import OperatorInterventionError, PostgresConnectionError
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from tortoise.exceptions import DBConnectionError, OperationalError

import http_errors
from http_errors import HttpError

log = logging.getLogger("auth")

_DATABASE_GONE = (OperatorInterventionError, PostgresConnectionError)


class InvalidRequest(HttpError):
    """A parameter or body field is missing or wrong; `errors` names each problem."""

    status_code = 422
    code = "invalid_request"

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{item['field']}: {item['message']}" for item in fields), errors=fields)
        self.fields = fields


class InvalidCredentials(HttpError):
    status_code = 401
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("wrong login or password")


class InvalidToken(HttpError):
    """Missing, malformed, forged, expired or revoked token."""

    status_code = 401
    code = "invalid_token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class PermissionDenied(HttpError):
    status_code = 403
    code = "forbidden"


class SecondFactorRequired(HttpError):
    """The caller holds a role that needs two-factor login, and this token was issued without it."""

    status_code = 403
    code = "second_factor_required"

    def __init__(self, roles: list[str]) -> None:
        super().__init__(
            f"the role {', '.join(roles)} requires two-factor login: enrol at "
            "POST /auth/api/v1/users/me/totp (confirm it with a code), then log in again with a code"
        )


class InvalidChallenge(HttpError):
    """The second step of a login names no open challenge: unknown, expired, used or void."""

    status_code = 401
    code = "invalid_challenge"

    def __init__(self) -> None:
        super().__init__("unknown or expired login challenge: log in again with the password")


class InvalidCode(HttpError):
    """A wrong, reused or already spent TOTP or backup code at the second step of a login."""

    status_code = 401
    code = "invalid_code"


class ChallengeExhausted(HttpError):
    """Too many wrong codes for one login challenge: it is void."""

    status_code = 429
    code = "too_many_codes"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "too many wrong codes: this login challenge is void; log in again with the password",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class NotFound(HttpError):
    status_code = 404
    code = "not_found"


class Conflict(HttpError):
    status_code = 409
    code = "conflict"


class TooManyAttempts(HttpError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed attempts; retry in {retry_after} s", headers={"Retry-After": str(retry_after)}
        )
        self.retry_after = retry_after


class RateLimited(HttpError):
    """Too many requests of one kind from one client; `Retry-After` says when to come back."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, headers: dict[str, str]) -> None:
        super().__init__(detail, headers=headers)


class HashingBusy(HttpError):
    """Every password-check slot is taken: refused at once rather than queued without bound."""

    status_code = 503
    code = "busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many password checks in progress; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class DependencyUnavailable(HttpError):
    status_code = 503
    code = "unavailable"


def install_error_handlers(app: Sanic[Any, Any]) -> None:
    """The shared JSON answers, plus this service's one dependency: Postgres going away is a 503."""
    http_errors.install_error_handlers(app, log)

    # Postgres shutting down or starting up refuses connections with its own errors (57P0x, 08xxx),
    # raw from the pool or wrapped by Tortoise: 503 too (a 500 found by the generated-input tests).
    def database_down(request: Request, error: Exception) -> HTTPResponse:
        log.warning("dependency unavailable on %s: %r", request.path, error)
        return http_errors.error_response(DependencyUnavailable("the account database is unavailable"))

    def database_error(request: Request, error: OperationalError) -> HTTPResponse:
        if isinstance(error.__cause__, (*_DATABASE_GONE, OSError)):
            return database_down(request, error)
        return http_errors.unexpected_response(request, error, log)

    for gone in (DBConnectionError, ConnectionError, OSError, *_DATABASE_GONE):
        app.error_handler.add(gone, database_down)
    app.error_handler.add(OperationalError, database_error)
