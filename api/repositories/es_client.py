"""The Elasticsearch client of one API worker: the lean node for plain HTTP (`es_node`), orjson
for bodies, one retry on a connection error, each request's id sent as `X-Opaque-Id`, and each
request timed (`api.metrics`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from elastic_transport import AsyncTransport, HttpHeaders, OrjsonSerializer
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import AsyncElasticsearch

import request_ids
from api.metrics import ELASTICSEARCH_SECONDS, endpoint_of
from api.repositories.es_node import node_class_for
from api.settings import Settings


class RequestIdTransport(AsyncTransport):
    """Adds the current request's id as `X-Opaque-Id`, which Elasticsearch writes into its slow
    logs and task list. A load shared by identical concurrent requests carries the first one's."""

    async def perform_request(  # type: ignore[override]
        self, method: str, target: str, *, headers: Mapping[str, Any] | DefaultType = DEFAULT, **options: Any
    ) -> Any:
        rid = request_ids.current.get()
        if rid is not None:
            headers = HttpHeaders(headers if headers is not DEFAULT else {})
            headers["x-opaque-id"] = rid
        start = time.perf_counter()
        try:
            return await super().perform_request(method, target, headers=headers, **options)
        finally:
            ELASTICSEARCH_SECONDS.labels(endpoint_of(target)).observe(time.perf_counter() - start)


def create_client(settings: Settings) -> AsyncElasticsearch:
    # orjson for request and response bodies (the client sends the compatibility media type too).
    serializer = OrjsonSerializer()
    return AsyncElasticsearch(
        settings.es_url,
        node_class=node_class_for(settings.es_url),
        transport_class=RequestIdTransport,
        request_timeout=settings.es_timeout,
        max_retries=1,
        retry_on_timeout=False,
        serializers={"application/json": serializer, "application/vnd.elasticsearch+json": serializer},
    )
