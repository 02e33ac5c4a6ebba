"""The error contract the content API and auth share: every 4xx/5xx answer is JSON
`{"code": <machine-readable>, "detail": <sentence>}`, plus the extra fields of its kind.

Built on Sanic's `SanicException`, which already carries the status, the headers and a `context`
for the client: `HttpError` adds the code, and its context becomes the extra fields. Sanic's own
errors (unknown path, wrong method, a request too large to read) leave in the same shape, and
anything unexpected is logged and answered with a bare 500. Each service defines one subclass per
failure kind and maps its own dependencies' failures to them; `install_error_handlers` is the one
place that turns them into responses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sanic import HTTPResponse, Request, Sanic, json
from sanic.exceptions import SanicException
from sanic_ext import openapi

from openapi30 import json_content

log = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])

INTERNAL_ERROR = {"code": "internal_error", "detail": "internal error"}
# Codes for the errors Sanic raises itself where its status phrase does not make a good one.
_SANIC_CODES = {413: "request_too_large", 500: "internal_error"}


class HttpError(SanicException):
    """A failure the client is told about; subclasses fix `status_code` and `code`.

    Keyword arguments beyond `headers` are the kind's extra fields of the body (`parameter`,
    `errors`...), kept in Sanic's `context`.
    """

    status_code = 500
    code = "internal_error"
    # Expected failures: the answer says it all, no traceback in the log.
    quiet = True

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail, context=extra or None, headers=dict(headers) if headers else None)
        self.detail = detail


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of both services (and of the gateway in front of them)."""

    code: str = Field(description="machine-readable, e.g. `not_found`, `invalid_parameter`")
    detail: str = Field(description="a sentence for people")
    errors: list[FieldProblem] | None = Field(default=None, description="auth's 422: each field's problem")
    parameter: str | None = Field(default=None, description="the content API's 422: the parameter")
    dependency: str | None = Field(default=None, description="the content API's 503: what is down")


def error_body(error: SanicException) -> dict[str, Any]:
    status = error.status_code or 500
    if isinstance(error, HttpError):
        code, detail = error.code, error.detail
    else:
        code = _SANIC_CODES.get(status) or _status_code_name(status)
        # Sanic's own 5xx messages may describe the server's insides.
        detail = str(error) if status < 500 else INTERNAL_ERROR["detail"]
    return {"code": code, "detail": detail, **(error.context or {})}


def _status_code_name(status: int) -> str:
    """`method_not_allowed` for 405: the status phrase in the codes' spelling."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


def error_response(error: SanicException) -> HTTPResponse:
    """The answer for `error`: its status, its headers (WWW-Authenticate, Retry-After, Allow...)."""
    return json(error_body(error), status=error.status_code or 500, headers=error.headers or None)


def unexpected_response(request: Request, error: Exception, logger: logging.Logger = log) -> HTTPResponse:
    """A bare 500 for a failure nobody foresaw; its traceback goes to `logger`, never to the client."""
    logger.error("unexpected error on %s %s", request.method, request.path, exc_info=error)
    return json(INTERNAL_ERROR, status=500)


def install_error_handlers(app: Sanic[Any, Any], logger: logging.Logger = log) -> None:
    """Every failure leaves `app` as JSON in the shape above; no traceback ever reaches a client.
    Unexpected errors go to `logger` (the service's own) with their traceback.

    A service maps its dependencies' own exceptions on top (`app.error_handler.add`): Sanic picks
    the handler of the nearest class in the exception's MRO, so those win over the catch-all.
    """

    def sanic_error(request: Request, error: SanicException) -> HTTPResponse:
        return error_response(error)

    def unexpected_error(request: Request, error: Exception) -> HTTPResponse:
        return unexpected_response(request, error, logger)

    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.error_handler.add(SanicException, sanic_error)
    app.error_handler.add(Exception, unexpected_error)


class ErrorAnswers:
    """Documents a route's error answers (JSON `ErrorBody`) in the OpenAPI schema, with the reason
    the service gives for each status: `errors = ErrorAnswers({404: "no such id"})`, then
    `@errors(404)` on a route."""

    def __init__(self, reasons: Mapping[int, str]) -> None:
        self._reasons = dict(reasons)

    def __call__(self, *statuses: int) -> Callable[[Handler], Handler]:
        unknown = set(statuses) - self._reasons.keys()
        if unknown:
            raise ValueError(f"no reason given for the statuses {sorted(unknown)}")

        def decorate(handler: Handler) -> Handler:
            for status in statuses:
                handler = openapi.response(status, json_content(ErrorBody), self._reasons[status])(handler)
            return handler

        return decorate
