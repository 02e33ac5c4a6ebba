"""OpenAPI 3.0 schemas from pydantic's own JSON schema, for sanic-ext (the API and auth share it).

sanic-ext rebuilds a model's schema field by field and loses on the way what it cannot express
(a Literal becomes an object, `model_config` shows up as a field, the required lists vanish), so
the documents contradicted the answers. Pydantic's schema is exact and only needs OpenAPI 3.0's
spelling: `nullable` instead of a null type, definitions inlined instead of `$defs`, `enum`
instead of `const`.

`document_on_every_operation` adds one answer to every operation of an app, for the answers Sanic
gives itself before any route runs (a request too large to read).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from sanic import Sanic
from sanic_ext.extensions.openapi.builders import OperationStore
from sanic_ext.extensions.openapi.definitions import Response
from sanic_ext.extensions.openapi.types import Schema

JSON = "application/json"


class RawSchema(Schema):
    """A ready OpenAPI schema where sanic-ext wants its own `Schema` (parameters)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # sanic-ext leaves Definition.__init__ unannotated
        self._schema = schema

    def serialize(self) -> dict[str, Any]:
        return self._schema


def openapi_schema(annotation: Any) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of a type (a model, `list[Model]`, a constrained field...)."""
    schema = TypeAdapter(annotation).json_schema(mode="serialization")
    definitions = schema.pop("$defs", {})
    converted: dict[str, Any] = _openapi_30(schema, definitions)
    return converted


def json_content(annotation: Any) -> dict[str, Any]:
    """Content of `openapi.response`/`openapi.body`: sanic-ext keeps a `{"schema": dict}` as it is."""
    return {JSON: {"schema": openapi_schema(annotation)}}


def field_schema(model: type[BaseModel], name: str) -> RawSchema:
    """One field of a model, with its constraints (bounds, allowed values, format)."""
    return RawSchema(openapi_schema(model)["properties"][name])


def document_on_every_operation(
    app: Sanic[Any, Any], status: int, content: dict[str, Any], description: str
) -> None:
    """Document an answer on the operation of every route `app` has (call it after the blueprints).

    An operation that documents no answer of its own stands in the document with sanic-ext's
    implied `default` ("OK"), which any first answer added replaces; it is kept.
    """
    store = OperationStore()  # type: ignore[no-untyped-call]  # sanic-ext leaves its __init__ unannotated
    for handler in {route.handler for route in app.router.routes}:
        operation = store[handler]
        if not operation.responses:
            operation.responses["default"] = Response(status="default", description="OK")
        operation.response(status, content, description)


def document_size_limits(app: Sanic[Any, Any], error_body: type[BaseModel]) -> None:
    """Document on every operation the answer Sanic gives before any route runs: 413 (with
    `error_body`) when the request line and headers (a long query string counts) or the body
    exceed its limits."""
    reason = (
        f"request line and headers over {app.config.REQUEST_MAX_HEADER_SIZE} bytes, "
        f"or a body over {app.config.REQUEST_MAX_SIZE} bytes"
    )
    document_on_every_operation(app, 413, json_content(error_body), reason)


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
