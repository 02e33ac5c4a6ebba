"""OpenAPI 3.0 schemas taken from pydantic's own JSON schema, and the documented error answers.

sanic-ext rebuilds a model's schema field by field and loses on the way what it cannot express
(`model_config` shows up as a body field, the required lists vanish), so the document
contradicted the service; pydantic's schema is exact and only needs OpenAPI 3.0's spelling
(`nullable` instead of a null type, no `$defs`, no `const`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import OperationStore
from sanic_ext.extensions.openapi.definitions import Response
from sanic_ext.extensions.openapi.types import Schema

JSON = "application/json"
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


class RawSchema(Schema):
    """A ready OpenAPI schema where sanic-ext wants its own `Schema` (parameters)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__()
        self._schema = schema

    def serialize(self) -> dict[str, Any]:
        return self._schema


def openapi_schema(annotation: Any) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of a type (a model, `list[Model]`...)."""
    schema = TypeAdapter(annotation).json_schema(mode="serialization")
    definitions = schema.pop("$defs", {})
    converted: dict[str, Any] = _openapi_30(schema, definitions)
    return converted


def json_content(annotation: Any) -> dict[str, Any]:
    """Content of `openapi.response`/`openapi.body`: sanic-ext keeps a `{"schema": dict}` as it is."""
    return {JSON: {"schema": openapi_schema(annotation)}}


def field_schema(model: type[BaseModel], name: str) -> RawSchema:
    """One field of a model with its constraints."""
    return RawSchema(openapi_schema(model)["properties"][name])


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


def _openapi_30(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_openapi_30(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _openapi_30(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    result = {key: _openapi_30(value, definitions) for key, value in node.items()}
    if "const" in result:
        result["enum"] = [result.pop("const")]
    variants = result.get("anyOf")
    if variants and {"type": "null"} in variants:
        others = [variant for variant in variants if variant != {"type": "null"}]
        del result["anyOf"]
        if len(others) == 1:
            result.update(others[0])
        else:
            result["anyOf"] = others
        result["nullable"] = True
        if "enum" in result:
            result["enum"] = [*result["enum"], None]
    return result
