"""JSON bodies straight from the pydantic models (its serializer is faster than dict + dumps);
lists are bare arrays with the total in `X-Total-Count` and neighbours in `Link` (the next page
by cursor wherever the list takes one, so that following `next` never meets the result window)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, TypeAdapter
from sanic import HTTPResponse

from api.context import ApiRequest
from api.models.page import Page
from api.models.query import CursorQuery, PageQuery

JSON = "application/json"


def model_response(request: ApiRequest, model: BaseModel) -> HTTPResponse:
    """One model as JSON; a value straight from a cache hit goes out as the bytes it was read
    from (Redis holds what the same serializer wrote), which saves serializing it again."""
    body = request.app.ctx.cache.source(model)
    if body is None:
        body = model.__pydantic_serializer__.to_json(model)
    return HTTPResponse(body, content_type=JSON)


_list_adapters: dict[type[BaseModel], TypeAdapter[list[Any]]] = {}


def _list_adapter(item_type: type[BaseModel]) -> TypeAdapter[list[Any]]:
    adapter = _list_adapters.get(item_type)
    if adapter is None:
        adapter = _list_adapters[item_type] = TypeAdapter(list[item_type])  # type: ignore[valid-type]
    return adapter


def list_response(items: list[Any]) -> HTTPResponse:
    """A bare JSON array of models, without paging headers."""
    body = _list_adapter(type(items[0])).dump_json(items) if items else b"[]"
    return HTTPResponse(body, content_type=JSON)


def page_response(request: ApiRequest, page: Page[Any], query: PageQuery) -> HTTPResponse:
    body = _list_adapter(type(page.items[0])).dump_json(page.items) if page.items else b"[]"
    headers = {"X-Total-Count": str(page.total)}
    links = _links(request, query, page)
    if links:
        headers["Link"] = links
    return HTTPResponse(body, content_type=JSON, headers=headers)


def _links(request: ApiRequest, query: PageQuery, page: Page[Any]) -> str:
    params = {
        name: value
        for name, value in query.model_dump(mode="json", exclude={"page_number", "cursor"}).items()
        if value is not None
    }

    def link(position: dict[str, object], rel: str) -> str:
        return f'<{request.path}?{urlencode({**params, **position})}>; rel="{rel}"'

    links = []
    cursor = isinstance(query, CursorQuery) and query.cursor is not None
    if query.page_number > 1 and not cursor:
        links.append(link({"page_number": query.page_number - 1}, "prev"))
    if isinstance(query, CursorQuery):
        if page.after is not None:
            following = query.next_cursor(page.after, request.app.ctx.settings.cursor_key)
            links.append(link({"cursor": following}, "next"))
    elif query.offset + query.page_size < page.total:
        links.append(link({"page_number": query.page_number + 1}, "next"))
    return ", ".join(links)
