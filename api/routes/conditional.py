"""HTTP caching of the content API's GETs: an `ETag` from the generations of the indices an answer
reads and the normalized request, `If-None-Match` answered 304 before anything is searched, and
`Cache-Control` with the response cache's TTL.

The ETL bumps an index's generation after each load (see `api.repositories.cache`), so a load
changes every tag over that index at once. With Redis down there is no generation to derive a
tag from: the answer goes out without one rather than with a tag that a load would not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic import HTTPResponse
from sanic_ext.extensions.openapi.builders import OperationStore

from api.context import ApiApp, ApiRequest
from api.repositories.cache import request_suffix
from openapi30 import RawSchema

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[HTTPResponse]])

# The attribute that marks a handler as tagged; functools.wraps carries it to the outer wrappers
# (sanic-ext's validation), where the OpenAPI pass below finds it on the route's handler.
TAGGED = "entity_tagged"


def entity_tag(generation: str, path: str, params: dict[str, object]) -> str:
    digest = hashlib.sha256(f"{generation}{request_suffix(path, params)}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def listed(if_none_match: str | None) -> list[str]:
    """The entity tags of an If-None-Match header, `W/` dropped (RFC 9110 compares them weakly)."""
    if not if_none_match:
        return []
    return [candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")]


def _params(kwargs: dict[str, Any]) -> dict[str, object]:
    """The normalized request: a query model's fields (defaults included), path values as given."""
    params: dict[str, object] = {}
    for name, value in kwargs.items():
        if isinstance(value, BaseModel):
            params.update(value.model_dump(mode="json"))
        else:
            params[f"path:{name}"] = value
    return params


def conditional(*indices: str) -> Callable[[Handler], Handler]:
    """Tag the handler's 200 answers and answer a matching `If-None-Match` with 304; goes under
    `query_params`, so that it sees the validated query (bad input stays a 422, without a tag)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def tagged(request: ApiRequest, **kwargs: Any) -> HTTPResponse:
            cache = request.app.ctx.cache
            generation = await cache.generation(indices)
            if generation is None:
                return await handler(request, **kwargs)
            tag = entity_tag(generation, request.path, _params(kwargs))
            headers = {"ETag": tag, "Cache-Control": f"public, max-age={cache.ttl}"}
            tags = listed(request.headers.get("if-none-match"))
            # A tag of ours can only come from a 200 of this request in this generation.
            if tag in tags:
                return HTTPResponse(status=304, headers=headers)
            response = await handler(request, **kwargs)
            if response.status != 200:
                return response
            # `*` matches whatever exists, which only the answer tells.
            if "*" in tags:
                return HTTPResponse(status=304, headers=headers)
            response.headers.update(headers)
            return response

        setattr(tagged, TAGGED, True)
        return tagged  # type: ignore[return-value]

    return decorate


ANSWER_HEADERS = {
    "ETag": {
        "description": "the answer's entity tag (index generations and the normalized request)",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=<cache TTL in seconds>`",
        "schema": {"type": "string"},
    },
}


def document_entity_tags(app: ApiApp) -> None:
    """Document `If-None-Match` and the 304 answer on every tagged route (call after the blueprints)."""
    store = OperationStore()  # type: ignore[no-untyped-call]  # sanic-ext leaves its __init__ unannotated
    for handler in {route.handler for route in app.router.routes if getattr(route.handler, TAGGED, False)}:
        operation = store[handler]
        operation.parameter(
            "If-None-Match",
            RawSchema({"type": "string"}),
            "header",
            description="the `ETag` of an earlier answer: 304 without a body while it still holds",
        )
        operation.response(304, description="not modified: the `ETag` in If-None-Match still holds")
        # sanic-ext's Response takes no headers and always some content; its fields are what it
        # serializes, and a 304 has no body.
        operation.responses[304]._fields.pop("content", None)
        operation.responses[304]._fields["headers"] = ANSWER_HEADERS
        answer = operation.responses.get(200)
        if answer is not None:
            answer._fields["headers"] = ANSWER_HEADERS
