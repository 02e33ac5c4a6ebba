"""HTTP caching of the content API's GETs: an `ETag` from the generations of the indices an answer
reads and the normalized request, `If-None-Match` answered 304 before anything is searched, and
`Cache-Control` with the response cache's TTL.

Both are in the key of the response cache's entry for the answer (see `api.repositories.cache`):
the tag is a digest of that key, which the cache's own lookup tells (its `entry_listener`) after
reading the generation with the entry in one Redis round trip. So the tag names the entry the
answer comes from, equal requests share it, and a tag that still holds stops the request before
anything is loaded from Elasticsearch. The ETL bumps an index's generation after each load, which
changes every tag over that index at once. With Redis down there is no generation to derive a tag
from: the answer goes out without one rather than with a tag that a load would not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from sanic import HTTPResponse
from sanic_ext.extensions.openapi.builders import OperationStore

from api.context import ApiApp, ApiRequest
from api.repositories.cache import entry_listener
from openapi30 import RawSchema

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[HTTPResponse]])

# The attribute that marks a handler as tagged; functools.wraps carries it to the outer wrappers
# (sanic-ext's validation), where the OpenAPI pass below finds it on the route's handler.
TAGGED = "entity_tagged"


def entity_tag(entry_key: str) -> str:
    return f'"{hashlib.sha256(entry_key.encode()).hexdigest()[:32]}"'


def listed(if_none_match: str | None) -> list[str]:
    """The entity tags of an If-None-Match header, `W/` dropped (RFC 9110 compares them weakly)."""
    if not if_none_match:
        return []
    return [candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")]


class _NotModified(Exception):
    """Raised from the cache lookup when the request's tag still holds: nothing more to load."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


class _Revalidation:
    """One request's side of the tag: computes it when the cache tells the generation, and stops
    the request there when If-None-Match names it."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self.may_stop = bool(tags)
        self.tag: str | None = None

    def seen(self, entry_key: str) -> None:
        if self.tag is not None:
            # A second lookup's generation could differ from the first's: no one tag covers both.
            raise RuntimeError("a tagged answer must come from a single cache lookup")
        self.tag = entity_tag(entry_key)
        # A tag of ours can only come from a 200 of this request in this generation.
        if self.tag in self.tags:
            raise _NotModified(self.tag)


def conditional(handler: Handler) -> Handler:
    """Tag the handler's 200 answers and answer a matching `If-None-Match` with 304; goes under
    `query_params`, so that it sees the validated query (bad input stays a 422, without a tag).
    The handler's answer comes from one lookup of the response cache, which gives the generation."""

    @wraps(handler)
    async def tagged(request: ApiRequest, **kwargs: Any) -> HTTPResponse:
        revalidation = _Revalidation(listed(request.headers.get("if-none-match")))
        token = entry_listener.set(revalidation)
        try:
            response = await handler(request, **kwargs)
        except _NotModified as unchanged:
            return HTTPResponse(status=304, headers=_headers(request, unchanged.tag))
        finally:
            entry_listener.reset(token)
        if revalidation.tag is None or response.status != 200:
            return response
        headers = _headers(request, revalidation.tag)
        # `*` matches whatever exists, which only the answer tells.
        if "*" in revalidation.tags:
            return HTTPResponse(status=304, headers=headers)
        response.headers.update(headers)
        return response

    setattr(tagged, TAGGED, True)
    return tagged  # type: ignore[return-value]


def _headers(request: ApiRequest, tag: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": f"public, max-age={request.app.ctx.cache.ttl}"}


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
