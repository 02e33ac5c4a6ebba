"""Query validation through sanic-ext, with this API's aliases and 422 errors, and its OpenAPI docs."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from sanic import Request
from sanic_ext import openapi, validate

from api.models.query import ALIASES, PageQuery, parse_query

Handler = TypeVar("Handler", bound=Callable[..., Any])


def _openapi_type(annotation: Any) -> type:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if annotation is int:
        return int
    return str


def query_params(model: type[PageQuery]) -> Callable[[Handler], Handler]:
    """Validate the query string into `model` (handler argument `query`) and document it."""

    def check(request: Request, data: object, handler_kwargs: dict[str, Any]) -> None:
        handler_kwargs["query"] = parse_query(
            model, request.get_args(keep_blank_values=True), request.app.ctx.settings.max_result_window
        )

    aliases = {canonical: alias for alias, canonical in ALIASES.items()}

    def decorate(handler: Handler) -> Handler:
        # sanic-ext calls a non-class validator as check(request=, data=, handler_kwargs=);
        # its annotation only knows the older one-argument form.
        decorated = validate(query=check)(handler)  # type: ignore[arg-type]
        for name, field in model.model_fields.items():
            description = field.description or ""
            if name in aliases:
                description = f"{description} (also accepted as `{aliases[name]}`)".strip()
            decorated = openapi.parameter(
                name,
                _openapi_type(field.annotation),
                "query",
                required=field.is_required(),
                description=description,
            )(decorated)
        return decorated

    return decorate


def path_id(name: str) -> Callable[[Handler], Handler]:
    """Document a UUID path parameter (the handler parses it, answering 422 when malformed)."""
    return openapi.parameter(name, UUID, "path", required=True)
