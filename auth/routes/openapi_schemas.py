"""The documented error answers and the 204s of the auth service's OpenAPI schema.

The schemas themselves come from pydantic's own JSON schema through `openapi30`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import OperationStore
from sanic_ext.extensions.openapi.definitions import Response

from openapi30 import json_content

Handler = TypeVar("Handler", bound=Callable[..., Any])


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: a machine-readable code, a sentence, and for 422 the fields."""

    code: str
    detail: str
    errors: list[dict[str, str]] | None = None


ERROR_REASONS = {
    400: "the body is not JSON",
    401: "missing, invalid, expired or revoked token (or wrong credentials at login)",
    403: "the caller lacks the permission",
    404: "no such id",
    409: "the name is taken, or a built-in role would change",
    422: "a parameter or body field is missing or wrong",
    429: "too many failed logins; see Retry-After",
    503: "the account database is unavailable",
}


def errors(*statuses: int) -> Callable[[Handler], Handler]:
    """Document error answers of a route (JSON `ErrorBody`)."""

    def decorate(handler: Handler) -> Handler:
        for status in statuses:
            handler = openapi.response(status, json_content(ErrorBody), ERROR_REASONS[status])(handler)
        return handler

    return decorate


def no_content(description: str) -> Callable[[Handler], Handler]:
    """A 204 answer, documented without a body (`openapi.response` would promise `*/*` content)."""

    def decorate(handler: Handler) -> Handler:
        OperationStore()[handler].responses[204] = Response(status=204, description=description)
        return handler

    return decorate
