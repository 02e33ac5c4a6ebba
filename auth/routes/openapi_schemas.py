"""The documented error answers and the 204s of the auth service's OpenAPI schema.

The error body is the shared `http_errors.ErrorBody`; the reasons given for each status are this
service's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sanic_ext.extensions.openapi.builders import OperationStore
from sanic_ext.extensions.openapi.definitions import Response

from http_errors import ErrorAnswers

Handler = TypeVar("Handler", bound=Callable[..., Any])


ERROR_REASONS = {
    400: "the body is not JSON",
    401: "missing, invalid, expired or revoked token (or wrong credentials at login)",
    403: "the caller lacks the permission",
    404: "no such id",
    409: "the name is taken, a built-in role would change, or the last admin would lose the role",
    422: "a parameter or body field is missing or wrong",
    429: "too many attempts or requests; see Retry-After",
    503: "the account database is unavailable, or every password-check slot is busy (see Retry-After)",
}
# `@errors(404, 409)` documents a route's error answers (JSON `ErrorBody`).
errors = ErrorAnswers(ERROR_REASONS)


def no_content(description: str) -> Callable[[Handler], Handler]:
    """A 204 answer, documented without a body (`openapi.response` would promise `*/*` content)."""

    def decorate(handler: Handler) -> Handler:
        store = OperationStore()  # type: ignore[no-untyped-call]  # sanic-ext leaves its __init__ unannotated
        store[handler].responses[204] = Response(status=204, description=description)
        return handler

    return decorate
