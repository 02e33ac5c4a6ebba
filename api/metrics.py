"""The content API's metrics beside the HTTP ones of `service_metrics`: the response cache's
outcomes, and the time of each call to Elasticsearch and to Redis."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from service_metrics import LATENCY_BUCKETS

CACHE = Counter(
    "cinema_api_cache_requests_total",
    "Response cache lookups by operation (film, film-search, ...) and outcome: hit, miss (loaded "
    "from Elasticsearch and stored), error (Redis unavailable: answered without the cache), off "
    "(API_CACHE_TTL=0).",
    ["operation", "outcome"],
)
ELASTICSEARCH_SECONDS = Histogram(
    "cinema_api_elasticsearch_request_duration_seconds",
    "Elasticsearch requests by endpoint (_search, _msearch, _doc, ...), retries included.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
REDIS_SECONDS = Histogram(
    "cinema_api_redis_command_duration_seconds",
    "Redis commands by name (EVALSHA, SET, MGET, ...), failed ones included.",
    ["command"],
    buckets=LATENCY_BUCKETS,
)


def endpoint_of(target: str) -> str:
    """The endpoint of an Elasticsearch request path, without index names or ids (which would
    make a series per film): the last `_`-word of the path (`/movies/_doc/<id>` is `_doc`)."""
    path = target.split("?", 1)[0]
    named = [part for part in path.split("/") if part.startswith("_")]
    return named[-1] if named else "/"
