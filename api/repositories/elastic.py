"""One Elasticsearch index as the repositories use it, with transport failures turned into 503s."""

from __future__ import annotations

import logging
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from api.errors import DependencyUnavailable
from es_mappings import index_name

log = logging.getLogger(__name__)

SEARCH_FILTER = ["hits.total.value", "hits.hits._source"]


class ElasticIndex:
    """Search and get on one index: `index` is its logical name, `index_name` the physical one
    (with the configured prefix), see `es_mappings`."""

    def __init__(self, es: AsyncElasticsearch, index: str, prefix: str = "") -> None:
        self._es = es
        self.index = index
        self.index_name = index_name(index, prefix)

    async def search(self, **request: Any) -> dict[str, Any]:
        """The hits' sources and the total only: less JSON for Elasticsearch to write and us to read."""
        try:
            response = await self._es.search(index=self.index_name, filter_path=SEARCH_FILTER, **request)
        except NotFoundError as error:
            raise self._missing_index(error) from None
        except (ApiError, TransportError) as error:
            raise self._unavailable(error) from None
        body: dict[str, Any] = response.body
        return body

    async def aggregate(self, **request: Any) -> dict[str, Any]:
        """A search for its aggregations (the whole `aggregations` part, no hits)."""
        try:
            response = await self._es.search(index=self.index_name, filter_path=["aggregations"], **request)
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


def sources(response: dict[str, Any]) -> list[dict[str, Any]]:
    # With filter_path, a search without hits has no `hits.hits` at all.
    return [hit["_source"] for hit in response["hits"].get("hits", [])]
