"""Query validation through sanic-ext, with this API's aliases and 422 errors, and its OpenAPI docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic_ext import openapi, validate

from api.context import ApiRequest
from api.models.query import ALIASES, parse_query
from http_errors import ErrorAnswers
from openapi30 import RawSchema, field_schema

Handler = TypeVar("Handler", bound=Callable[..., Any])


# The error answers a route documents (JSON `ErrorBody`): 422 bad input, 404 unknown id, 503
# Elasticsearch down with nothing cached.
errors = ErrorAnswers(
    {404: "no such id", 422: "invalid parameter", 503: "Elasticsearch unavailable, nothing cached"}
)


def query_params(model: type[BaseModel]) -> Callable[[Handler], Handler]:
    """Validate the query string into `model` (handler argument `query`) and document it."""

    def check(request: ApiRequest, data: object, handler_kwargs: dict[str, Any]) -> None:
        settings = request.app.ctx.settings
        handler_kwargs["query"] = parse_query(
            model, request.get_args(keep_blank_values=True), settings.max_result_window, settings.cursor_key
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
                field_schema(model, name),
                "query",
                required=field.is_required(),
                description=description,
            )(decorated)
        return errors(422, 503)(decorated)

    return decorate


def path_id(name: str) -> Callable[[Handler], Handler]:
    """Document a UUID path parameter (the handler parses it, answering 422 when malformed)."""
    uuid_schema = RawSchema({"type": "string", "format": "uuid"})

    def decorate(handler: Handler) -> Handler:
        documented = openapi.parameter(name, uuid_schema, "path", required=True)(handler)
        return errors(404, 422, 503)(documented)

    return decorate
