"""HTTP caching: every GET answers with an `ETag` (index generation + normalized request) and
`Cache-Control: public, max-age=<cache TTL>`; `If-None-Match` gets a bodiless 304 without
Elasticsearch; an ETL load (generation bump) changes the tag; errors carry none."""

from __future__ import annotations

import uuid

import pytest

import es_mappings

TTL = 300  # API_CACHE_TTL of the test processes (conftest)


def resources(catalogue) -> list[tuple[str, dict]]:
    film = catalogue.film_id("Star Wars")
    person = catalogue.person_id("Harrison Ford")
    return [
        ("/api/v1/films", {"sort": "title", "page_size": 5}),
        ("/api/v1/films/search", {"query": "star"}),
        ("/api/v1/films/facets", {"type": "movie"}),
        (f"/api/v1/films/{film}", {}),
        ("/api/v1/genres", {}),
        (f"/api/v1/genres/{catalogue.genre_id('Drama')}", {}),
        ("/api/v1/persons/search", {"query": "ford"}),
        (f"/api/v1/persons/{person}", {}),
        (f"/api/v1/persons/{person}/film", {}),
        ("/api/v1/suggest", {"query": "sta"}),
    ]


def tagged(api, path: str, params: dict, **headers: str):
    response = api.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    tag = response.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2
    assert response.headers["cache-control"] == f"public, max-age={TTL}"
    return response


def test_every_get_is_tagged_and_a_matching_tag_gets_304(api, catalogue):
    tags = set()
    for path, params in resources(catalogue):
        tag = tagged(api, path, params).headers["etag"]
        tags.add(tag)
        assert tagged(api, path, params).headers["etag"] == tag, path
        for if_none_match in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = api.get(path, params=params, headers={"If-None-Match": if_none_match})
            assert again.status_code == 304, (path, if_none_match)
            assert again.content == b""
            assert again.headers["etag"] == tag
            assert again.headers["cache-control"] == f"public, max-age={TTL}"
        assert tagged(api, path, params, **{"If-None-Match": '"other"'}).headers["etag"] == tag
    # Each resource has a tag of its own.
    assert len(tags) == len(resources(catalogue))


def test_the_tag_follows_the_normalized_request(api, catalogue):
    path = "/api/v1/films"

    def tag(params: dict) -> str:
        return tagged(api, path, params).headers["etag"]

    # Aliases, parameter order, defaults spelled out and ignored parameters change nothing.
    same = tag({"sort": "title", "page_size": 10})
    assert tag({"page[size]": 10, "sort": "title"}) == same
    assert tag({"sort": "title", "page_size": 10, "page_number": 1, "colour": "blue"}) == same
    assert tag({"sort": "-title", "page_size": 10}) != same
    assert tag({"sort": "title", "page_size": 11}) != same
    assert tag({"sort": "title", "page_size": 10, "page_number": 2}) != same


def test_an_etl_load_changes_the_tag(api, catalogue, bump_generation):
    path, params = "/api/v1/films/search", {"query": "wars"}
    old = tagged(api, path, params).headers["etag"]
    genre_path = f"/api/v1/genres/{catalogue.genre_id('Drama')}"
    genre_tag = tagged(api, genre_path, {}).headers["etag"]
    bump_generation(es_mappings.MOVIES)
    fresh = tagged(api, path, params, **{"If-None-Match": old})
    assert fresh.headers["etag"] != old
    assert fresh.json()
    # Another index's load leaves the genres' tags alone.
    assert api.get(genre_path, headers={"If-None-Match": genre_tag}).status_code == 304


def _forget_cached_answers(cache_redis, catalogue) -> None:
    for key in cache_redis.scan_iter(f"api:{catalogue.prefix}*"):
        cache_redis.delete(key)


def test_a_matching_tag_is_answered_without_elasticsearch(api, api_es_down, cache_redis, catalogue):
    # api_es_down shares the Redis of `api` but reaches no Elasticsearch: with the cached answer
    # gone, only a 304 decided before any search can succeed there.
    path, params = "/api/v1/films/search", {"query": "blade runner", "page_size": 3}
    tag = tagged(api, path, params).headers["etag"]
    _forget_cached_answers(cache_redis, catalogue)
    unavailable = api_es_down.get(path, params=params)
    assert unavailable.status_code == 503
    assert "etag" not in unavailable.headers
    not_modified = api_es_down.get(path, params=params, headers={"If-None-Match": tag})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == tag


def _get_watching_redis(api, cache_redis, catalogue, path: str, params: dict, headers: dict):
    """The answer to one GET, and the Redis commands on this session's keys (generations and
    entries) while it ran, seen through MONITOR up to a marker sent after it: Redis runs commands
    in order, and the API has sent its own before it answers."""
    marker = f"end-of-request-{uuid.uuid4().hex}"
    commands: list[str] = []
    with cache_redis.monitor() as monitor:
        response = api.get(path, params=params, headers=headers)
        cache_redis.echo(marker)
        for command in monitor.listen():
            if marker in command["command"]:
                return response, commands
            # The GETs a script runs show up too, as the `lua` client's: they are no round trips.
            if catalogue.prefix in command["command"] and command["client_type"] != "lua":
                commands.append(command["command"])
    raise AssertionError("the monitor ended before the marker")


def test_a_cached_tagged_get_is_one_redis_round_trip(api, cache_redis, catalogue):
    # The entity tag and the cached answer come from one lookup, for a 200 and a 304 alike.
    for path, params in resources(catalogue):
        tag = tagged(api, path, params).headers["etag"]
        for headers, status in (({}, 200), ({"If-None-Match": tag}, 304)):
            response, commands = _get_watching_redis(api, cache_redis, catalogue, path, params, headers)
            assert (response.status_code, response.headers["etag"]) == (status, tag), path
            assert len(commands) == 1, (path, commands)
            assert commands[0].startswith("EVALSHA"), (path, commands)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/films", {"page_size": 0}, 422),
        ("/api/v1/films/not-a-uuid", {}, 422),
        ("/api/v1/films/00000000-0000-4000-8000-000000000000", {}, 404),
        ("/api/v1/films", {"cursor": "garbage"}, 422),
    ],
)
def test_errors_carry_no_tag(api, catalogue, path, params, status):
    for headers in ({}, {"If-None-Match": "*"}):
        response = api.get(path, params=params, headers=headers)
        assert response.status_code == status
        assert "etag" not in response.headers
        assert "cache-control" not in response.headers


def test_the_openapi_document_has_the_tags_and_the_cursor(api):
    paths = api.get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/films", "/api/v1/films/search", "/api/v1/persons/search", "/api/v1/genres"):
        operation = paths[path]["get"]
        names = {parameter["name"]: parameter["in"] for parameter in operation["parameters"]}
        assert names["cursor"] == "query" and names["If-None-Match"] == "header", path
        assert "content" not in operation["responses"]["304"]
        assert set(operation["responses"]["200"]["headers"]) == {"ETag", "Cache-Control"}
        assert {"304", "422"} <= set(operation["responses"])
