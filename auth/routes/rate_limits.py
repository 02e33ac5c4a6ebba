"""Rate-limited routes: the count is taken before the handler runs, the state goes on the answer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from sanic.response import HTTPResponse

from auth.context import AuthRequest
from auth.errors import RateLimited
from auth.routes.documentation import carry_documentation
from auth.routes.openapi_schemas import errors
from auth.services.rate_limits import RateLimit
from http_errors import HttpError

Handler = TypeVar("Handler", bound=Callable[..., Any])


def rate_limited(
    limit_of: Callable[[AuthRequest], RateLimit], key_of: Callable[[AuthRequest], str]
) -> Callable[[Handler], Handler]:
    """429 with ``Retry-After`` beyond the limit; every answer carries ``RateLimit`` headers."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def limited(request: AuthRequest, *args: Any, **kwargs: Any) -> HTTPResponse:
            state = await limit_of(request).hit(key_of(request))
            if state is None:
                response: HTTPResponse = await handler(request, *args, **kwargs)
                return response
            if state.exceeded:
                raise RateLimited(
                    f"more than {state.limit} requests in {state.window} s; retry in {state.reset_seconds} s",
                    headers=state.headers(),
                )
            try:
                response = await handler(request, *args, **kwargs)
            except HttpError as error:
                error.headers = {**(error.headers or {}), **state.headers()}
                raise
            response.headers.update(state.headers())
            return response

        carry_documentation(handler, limited)
        return errors(429)(limited)  # type: ignore[return-value]

    return decorate
