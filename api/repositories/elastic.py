"""One Elasticsearch index as the repositories use it, with transport failures turned into 503s."""

from __future__ import annotations

import logging
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from api.errors import DependencyUnavailable
from api.models.query import CursorQuery, PageQuery
from es_mappings import index_name

log = logging.getLogger(__name__)

SEARCH_FILTER = ["hits.total.value", "hits.hits._source", "hits.hits.sort"]


class ElasticIndex:
    """Search and get on one index: `index` is its logical name, `index_name` the physical one
    (with the configured prefix), see `es_mappings`."""

    def __init__(self, es: AsyncElasticsearch, index: str, prefix: str = "") -> None:
        self._es = es
        self.index = index
        self.index_name = index_name(index, prefix)

    async def search(self, **request: Any) -> dict[str, Any]:
        """The hits' sources and sort values and the total only: less JSON for Elasticsearch to
        write and us to read."""
        return await self._search(SEARCH_FILTER, **request)

    async def aggregate(self, **request: Any) -> dict[str, Any]:
        """A search for its aggregations (the whole `aggregations` part, no hits)."""
        return await self._search(["aggregations"], **request)

    async def _search(self, filter_path: list[str], **request: Any) -> dict[str, Any]:
        try:
            response = await self._es.search(index=self.index_name, filter_path=filter_path, **request)
        except NotFoundError as error:
            raise self._missing_index(error) from None
        except (ApiError, TransportError) as error:
            raise self._unavailable(error) from None
        body: dict[str, Any] = response.body
        return body

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        """The document's source, or None when the index has no such document."""
        try:
            response = await self._es.get(index=self.index_name, id=doc_id)
        except NotFoundError as error:
            if isinstance(error.body, dict) and error.body.get("found") is False:
                return None
            raise self._missing_index(error) from None
        except (ApiError, TransportError) as error:
            raise self._unavailable(error) from None
        source: dict[str, Any] = response.body["_source"]
        return source

    def _missing_index(self, error: NotFoundError) -> DependencyUnavailable:
        log.error("index %s is missing: %s", self.index_name, error)
        return DependencyUnavailable("elasticsearch", f"index {self.index_name} is not available")

    def _unavailable(self, error: Exception) -> DependencyUnavailable:
        return unavailable(self.index_name, error)


def unavailable(target: str, error: Exception) -> DependencyUnavailable:
    """An Elasticsearch failure on `target` (an index, or what a request was for), logged, as a 503."""
    log.warning("Elasticsearch failed on %s: %s", target, error)
    return DependencyUnavailable("elasticsearch", "the search backend is unavailable")


def total_hits(response: dict[str, Any]) -> int:
    return int(response["hits"]["total"]["value"])


def _hits(response: dict[str, Any]) -> list[dict[str, Any]]:
    # With filter_path, a search without hits has no `hits.hits` at all.
    hits: list[dict[str, Any]] = response["hits"].get("hits", [])
    return hits


def page_request(query: PageQuery) -> dict[str, Any]:
    """The paging part of a search: `from_` for a page number, `search_after` for a cursor (with
    one hit more, which tells whether a next page exists without counting positions)."""
    after = query.after if isinstance(query, CursorQuery) else None
    if after is not None:
        return {"search_after": after, "size": query.page_size + 1, "track_total_hits": True}
    return {"from_": query.offset, "size": query.page_size, "track_total_hits": True}


def paged(response: dict[str, Any], query: PageQuery) -> tuple[list[dict[str, Any]], int, list[Any] | None]:
    """The page's sources, the total, and the sort values of its last hit when more follow."""
    hits, total = _hits(response), total_hits(response)
    if isinstance(query, CursorQuery) and query.cursor is not None:
        more = len(hits) > query.page_size
        hits = hits[: query.page_size]
    else:
        more = query.offset + len(hits) < total
    after = hits[-1]["sort"] if more and hits else None
    return [hit["_source"] for hit in hits], total, after
