"""The Redis cache: hits survive Elasticsearch being unreachable, keys fold aliases and order,
a generation bump makes the next answer fresh, and identical concurrent misses query once."""

from __future__ import annotations

import asyncio

import httpx

import es_mappings


def test_cached_answer_is_served_while_elasticsearch_is_unreachable(api, api_es_down, catalogue):
    path = f"/api/v1/films/{catalogue.film_id('Alien')}"
    fresh = api.get(path)
    assert fresh.status_code == 200
    cached = api_es_down.get(path)
    assert cached.status_code == 200
    assert cached.json() == fresh.json()


def test_cache_key_folds_aliases_defaults_and_parameter_order(api, api_es_down, catalogue):
    genre = catalogue.genre_id("Comedy")
    first = api.get("/api/v1/films", params={"genre": genre, "page_size": 4, "page_number": 2})
    assert first.status_code == 200
    same = [
        "/api/v1/films/?page[number]=2&filter[genre]={g}&page[size]=4",
        "/api/v1/films?sort=-imdb_rating&page_size=4&genre={g}&page_number=2",
        "/api/v1/films?page_number=2&genre={g}&page_size=4&unused=1",
    ]
    for path in same:
        response = api_es_down.get(path.format(g=genre))
        assert response.status_code == 200, path
        assert response.json() == first.json()
        assert response.headers["x-total-count"] == first.headers["x-total-count"]


def test_a_hit_is_the_same_bytes_as_the_miss_that_filled_it(api, api_es_down, catalogue, bump_generation):
    """A single model answered from a hit goes out as the bytes Redis holds, not serialized again:
    they must be what the miss sent (aliases, number and date formats included)."""
    for index in (es_mappings.MOVIES, es_mappings.GENRES, es_mappings.PERSONS):
        bump_generation(index)  # nothing cached yet
    paths = [
        f"/api/v1/films/{catalogue.film_id('Alien')}",
        f"/api/v1/genres/{catalogue.genre_id('Drama')}",
        f"/api/v1/persons/{catalogue.person_id('Ridley Scott')}",
        "/api/v1/films/facets",
    ]
    for path in paths:
        miss = api.get(path)
        assert miss.status_code == 200, path
        # The first hit parses the entry, the next ones reuse that parse and its bytes.
        hits = [api_es_down.get(path) for _ in range(3)]
        assert [hit.status_code for hit in hits] == [200] * 3, path
        assert [hit.content for hit in hits] == [miss.content] * 3, path


def test_uncached_request_with_elasticsearch_unreachable_is_503(api_es_down, catalogue):
    response = api_es_down.get("/api/v1/films", params={"sort": "title", "page_size": 13})
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "dependency_unavailable"
    assert body["dependency"] == "elasticsearch"


def test_each_resource_is_cached(api, api_es_down, catalogue):
    paths = [
        "/api/v1/genres",
        f"/api/v1/genres/{catalogue.genre_id('Drama')}",
        f"/api/v1/persons/{catalogue.person_id('Ridley Scott')}",
        f"/api/v1/persons/{catalogue.person_id('Ridley Scott')}/film",
        "/api/v1/persons/search?query=scott",
        "/api/v1/films/search?query=runner",
        "/api/v1/films/00000000-0000-4000-8000-0000000000aa",
    ]
    for path in paths:
        fresh = api.get(path)
        cached = api_es_down.get(path)
        assert cached.status_code == fresh.status_code, path
        assert cached.json() == fresh.json(), path


def test_generation_bump_makes_the_next_answer_fresh(api, es, catalogue, bump_generation):
    film_id = catalogue.film_id("Cache Probe")
    index = catalogue.index(es_mappings.MOVIES)
    path = f"/api/v1/films/{film_id}"
    assert api.get(path).json()["title"] == "Cache Probe"
    try:
        es.update(index=index, id=film_id, doc={"title": "Cache Probe Renamed"}, refresh=True)
        # Same generation: still the cached answer, although Elasticsearch has changed.
        assert api.get(path).json()["title"] == "Cache Probe"
        bump_generation(es_mappings.MOVIES)
        assert api.get(path).json()["title"] == "Cache Probe Renamed"
    finally:
        es.update(index=index, id=film_id, doc={"title": "Cache Probe"}, refresh=True)
        bump_generation(es_mappings.MOVIES)
    assert api.get(path).json()["title"] == "Cache Probe"


def test_generation_bump_only_refreshes_its_own_index(api, api_es_down, catalogue, bump_generation):
    genre_path = f"/api/v1/genres/{catalogue.genre_id('Action')}"
    film_path = f"/api/v1/films/{catalogue.film_id('Star Trek')}"
    assert api.get(genre_path).status_code == api.get(film_path).status_code == 200
    bump_generation(es_mappings.MOVIES)
    assert api_es_down.get(genre_path).status_code == 200
    assert api_es_down.get(film_path).status_code == 503


def _search_queries(es, index: str) -> int:
    stats = es.indices.stats(index=index, metric="search")
    return stats["indices"][index]["primaries"]["search"]["query_total"]


def test_concurrent_identical_misses_make_one_elasticsearch_query(api, es, catalogue, bump_generation):
    index = catalogue.index(es_mappings.MOVIES)
    bump_generation(es_mappings.MOVIES)  # nothing of this generation is cached yet
    before = _search_queries(es, index)

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(api.base_url), timeout=20) as client:
            requests = [client.get("/api/v1/films/search", params={"query": "galaxy"}) for _ in range(20)]
            return await asyncio.gather(*requests)

    responses = asyncio.run(burst())
    assert {r.status_code for r in responses} == {200}
    assert {r.text for r in responses} == {responses[0].text}
    assert [f["title"] for f in responses[0].json()] == ["Star Wars"]
    assert _search_queries(es, index) == before + 1
