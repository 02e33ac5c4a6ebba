"""Who is calling: the Bearer access token, and the permission some routes require."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from sanic_ext import openapi

from auth.context import AuthRequest
from auth.errors import InvalidToken, PermissionDenied, SecondFactorRequired
from auth.routes.documentation import carry_documentation
from auth.routes.openapi_schemas import errors
from auth.services.client_address import Client, client_ip
from auth.services.tokens import ONE_TIME_CODE, TokenClaims

Handler = TypeVar("Handler", bound=Callable[..., Any])


def client_of(request: AuthRequest) -> Client:
    """The client's address (X-Forwarded-For believed only from trusted proxies) and user agent."""
    ip = client_ip(
        request.conn_info.client_ip if request.conn_info else None,
        request.headers.get("x-forwarded-for"),
        request.app.ctx.settings.trusted_proxies,
    )
    return Client.of(ip, request.headers.get("user-agent") or None)


def bearer_token(request: AuthRequest) -> str:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("send the access token as 'Authorization: Bearer <token>'")
    return token.strip()


def authenticated(handler: Handler) -> Handler:
    """Admit only requests with a valid access token of an open session (``request.ctx.claims``)."""

    @wraps(handler)
    async def guarded(request: AuthRequest, *args: Any, **kwargs: Any) -> Any:
        request.ctx.claims = await request.app.ctx.sessions.authenticate(bearer_token(request))
        return await handler(request, *args, **kwargs)

    carry_documentation(handler, guarded)
    return errors(401, 503)(openapi.secured("bearer")(guarded))  # type: ignore[return-value]


def claims_of(request: AuthRequest) -> TokenClaims:
    claims: TokenClaims = request.ctx.claims
    return claims


async def require_permission(request: AuthRequest, permission: str) -> None:
    """Checked against the roles in the database, so a revoked role stops working at once.

    A holder of a role in ``totp_required_roles`` passes no permission check with a token whose
    login did not use a second factor (``amr`` without ``otp``), whatever the permission; the
    routes of their own account stay open to them, so they can enrol and log in again.
    """
    claims = claims_of(request)
    user_id = claims.user_id

    async def denied(**why: object) -> None:
        details = {"permission": permission, "path": request.path, **why}
        ip = client_of(request).ip
        await request.app.ctx.audit.record("permission.denied", user_id, None, ip, **details)

    required = request.app.ctx.settings.totp_required_roles
    if required and ONE_TIME_CODE not in claims.amr:
        held = sorted(set(required) & set(await request.app.ctx.roles.role_names(user_id)))
        if held:
            await denied(reason="second factor required")
            raise SecondFactorRequired(held)
    if not await request.app.ctx.roles.has_permission(user_id, permission):
        await denied()
        raise PermissionDenied(f"requires the permission {permission!r}")


def requires_permission(permission: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: AuthRequest, *args: Any, **kwargs: Any) -> Any:
            await require_permission(request, permission)
            return await handler(request, *args, **kwargs)

        carry_documentation(handler, guarded)
        return errors(403)(authenticated(guarded))  # type: ignore[return-value]

    return decorate
