"""`GET /api/metrics`: the content API's Prometheus metrics, counted by real requests to the API
process (its own, so no other test's traffic shifts the counts), with one worker and with two."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from devtools.scrape import Scrape
from tests.functional.api.conftest import ApiProcess

METRICS = "/api/metrics"
FILM = "/api/v1/films/<film_id:str>"
SEARCH = "/api/v1/films/search"


def scrape(client: httpx.Client) -> Scrape:
    return Scrape.of(client, METRICS)


def test_metrics_are_prometheus_text_with_every_family(api):
    # A series exists once counted: one uncached search touches every family.
    assert api.get(SEARCH, params={"query": uuid.uuid4().hex[:12]}).status_code == 200
    found = scrape(api).names()
    for name in (
        "cinema_http_requests_total",
        "cinema_http_request_duration_seconds_count",
        "cinema_api_cache_requests_total",
        "cinema_api_elasticsearch_request_duration_seconds_count",
        "cinema_api_redis_command_duration_seconds_count",
    ):
        assert name in found, f"{name} missing from {sorted(found)}"


def test_requests_are_counted_by_route_template_and_status(api):
    before = scrape(api)
    missing = uuid.uuid4()
    assert api.get(f"/api/v1/films/{missing}").status_code == 404
    assert api.get(f"/api/v1/films/{uuid.uuid4()}").status_code == 404
    assert api.get(SEARCH, params={"query": "x", "page_size": 0}).status_code == 422
    assert api.get("/api/v1/no-such-route").status_code == 404
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    # Two different ids, one series: the template, not the path.
    assert delta("cinema_http_requests_total", route=FILM, method="GET", status="404") == 2
    assert delta("cinema_http_request_duration_seconds_count", route=FILM, method="GET") == 2
    assert delta("cinema_http_request_duration_seconds_sum", route=FILM, method="GET") > 0
    assert delta("cinema_http_requests_total", route=SEARCH, method="GET", status="422") == 1
    assert delta("cinema_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert not any(str(missing) in dict(labels).get("route", "") for _, labels in after.samples)


def test_cache_outcomes_and_dependency_calls_are_counted(api):
    query = {"query": uuid.uuid4().hex[:12]}  # no other test sends it: the first is a miss
    before = scrape(api)
    assert api.get(SEARCH, params=query).status_code == 200
    assert api.get(SEARCH, params=query).status_code == 200
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("cinema_api_cache_requests_total", operation="film-search", outcome="miss") == 1
    assert delta("cinema_api_cache_requests_total", operation="film-search", outcome="hit") == 1
    # The miss asked Elasticsearch once; both asked Redis (the lookup script, and the store).
    assert delta("cinema_api_elasticsearch_request_duration_seconds_count", endpoint="_search") == 1
    redis_calls = sum(
        after.samples[key] - before.samples.get(key, 0.0)
        for key in after.samples
        if key[0] == "cinema_api_redis_command_duration_seconds_count"
    )
    assert redis_calls >= 3


def test_redis_down_counts_cache_errors(api_redis_down):
    before = scrape(api_redis_down)
    assert api_redis_down.get("/api/v1/genres").status_code == 200
    after = scrape(api_redis_down)
    errors = after.value("cinema_api_cache_requests_total", operation="genres", outcome="error")
    assert errors - before.value("cinema_api_cache_requests_total", operation="genres", outcome="error") == 1


@pytest.fixture
def two_workers(api_settings, tmp_path):
    """An API process with two workers; yields a client and the workers' metrics directory."""
    directory = tmp_path / "metrics"
    settings = {**api_settings, "API_METRICS_DIR": str(directory)}
    process = ApiProcess("api_two_workers", settings, tmp_path, workers=2)
    process.wait_until_alive()
    try:
        with httpx.Client(base_url=process.url, timeout=20) as client:
            yield client, directory
    finally:
        process.stop()


def _fresh_get(url: str) -> httpx.Response:
    """A request on a connection of its own, so that either worker may accept it."""
    return httpx.get(url, headers={"Connection": "close"}, timeout=20)


def test_with_two_workers_every_scrape_sums_both(two_workers):
    client, directory = two_workers
    requests = 80
    url = f"{client.base_url}/api/v1/films/{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [response.status_code for response in pool.map(_fresh_get, [url] * requests)]
    assert statuses == [404] * requests
    # Both workers counted (each into a file of its own)...
    assert len(list(directory.glob("counter_*.db"))) == 2, sorted(p.name for p in directory.iterdir())
    # ...and each scrape, answered by whichever worker takes it, sees every request.
    for _ in range(6):
        seen = Scrape.parse(_fresh_get(f"{client.base_url}{METRICS}").text)
        assert seen.value("cinema_http_requests_total", route=FILM, method="GET", status="404") == requests
