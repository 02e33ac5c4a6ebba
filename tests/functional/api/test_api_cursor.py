"""Deep paging: `cursor` (Elasticsearch `search_after`) in `Link: rel="next"` walks a whole list or
search without repeats or gaps; a cursor changed by hand, of another request, signed without the
server's secret, holding values of the wrong kinds, or given with a page number is a 422 naming
`cursor`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest

from tests.functional.api.conftest import CURSOR_SECRET
from tests.functional.api.test_api_validation import assert_invalid

NEXT = re.compile(r'<([^>]*)>; rel="next"')


def next_link(response) -> str | None:
    found = NEXT.search(response.headers.get("link", ""))
    return found.group(1) if found else None


def walk(api, path: str, **params) -> tuple[list[dict], int]:
    """Every item, following `next` from the first page; also how many pages that took."""
    response = api.get(path, params=params)
    items: list[dict] = []
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        # The body keeps its shape: a bare array, never empty while a next page is announced.
        assert isinstance(page, list) and page
        items.extend(page)
        pages += 1
        link = next_link(response)
        if link is None:
            return items, pages
        assert "cursor=" in link and "page_number" not in link
        response = api.get(link)


def whole(api, path: str, **params) -> list[dict]:
    response = api.get(path, params={**params, "page_size": 100})
    assert response.status_code == 200, response.text
    assert int(response.headers["x-total-count"]) == len(response.json()) <= 100
    return response.json()


def cursor_of(response) -> str:
    link = next_link(response)
    assert link is not None, response.headers
    return re.search(r"cursor=([^&]+)", link).group(1)


@pytest.mark.parametrize("sort", ["-imdb_rating", "imdb_rating", "title", "-title"])
def test_walking_by_cursor_visits_every_film_once_in_order(api, catalogue, sort):
    films, pages = walk(api, "/api/v1/films", page_size=4, sort=sort)
    uuids = [film["uuid"] for film in films]
    assert len(uuids) == len(set(uuids)) == len(catalogue.films)
    assert pages == -(-len(catalogue.films) // 4)
    # The same order as one page of everything (ratings repeat: the id breaks the ties).
    assert uuids == [film["uuid"] for film in whole(api, "/api/v1/films", sort=sort)]


def test_walking_a_filtered_list(api, catalogue):
    params = {"genre": catalogue.genre_id("Drama"), "sort": "title", "year_to": 2000}
    films, _ = walk(api, "/api/v1/films", page_size=2, **params)
    expected = whole(api, "/api/v1/films", **params)
    assert len(expected) >= 3
    assert [film["uuid"] for film in films] == [film["uuid"] for film in expected]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/films/search", {"query": "star"}),
        ("/api/v1/films/search", {"query": "star", "type": "movie"}),
        ("/api/v1/persons/search", {"query": "george"}),
        ("/api/v1/genres", {}),
    ],
)
def test_walking_searches_and_the_genres(api, catalogue, path, params):
    items, pages = walk(api, path, page_size=1, **params)
    expected = whole(api, path, **params)
    assert pages >= 2
    assert [item["uuid"] for item in items] == [item["uuid"] for item in expected]


def test_a_cursor_page_reports_the_whole_total(api, catalogue):
    first = api.get("/api/v1/films", params={"page_size": 10})
    second = api.get("/api/v1/films", params={"page_size": 10, "cursor": cursor_of(first)})
    assert second.status_code == 200
    assert int(second.headers["x-total-count"]) == len(catalogue.films)
    # Paging by cursor has no previous-page link: a cursor only goes forward.
    assert 'rel="prev"' not in second.headers["link"]


def test_the_page_size_may_change_along_the_walk(api, catalogue):
    first = api.get("/api/v1/films", params={"page_size": 3, "sort": "title"})
    rest = api.get("/api/v1/films", params={"page_size": 100, "sort": "title", "cursor": cursor_of(first)})
    walked = [film["uuid"] for film in first.json() + rest.json()]
    assert walked == [film["uuid"] for film in whole(api, "/api/v1/films", sort="title")]


def _decoded(cursor: str) -> list:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_changed_or_foreign_cursor_is_refused(api, catalogue):
    listed = api.get("/api/v1/films", params={"page_size": 5, "sort": "title"})
    cursor = cursor_of(listed)
    values, digest = _decoded(cursor)
    # Another start, with the digest left as it was.
    moved = _encoded([[*values[:-1], "00000000-0000-4000-8000-000000000000"], digest])
    searched = api.get("/api/v1/films/search", params={"query": "star", "page_size": 2})
    refused = [
        ("/api/v1/films", {"sort": "title", "cursor": moved}),
        ("/api/v1/films", {"sort": "title", "cursor": "not-a-cursor"}),
        ("/api/v1/films", {"sort": "title", "cursor": _encoded({"a": 1})}),
        ("/api/v1/films", {"sort": "title", "cursor": ""}),
        # The cursor of another sort, another filter, another endpoint, another query.
        ("/api/v1/films", {"sort": "-title", "cursor": cursor}),
        ("/api/v1/films", {"sort": "title", "type": "movie", "cursor": cursor}),
        ("/api/v1/films/search", {"query": "star", "cursor": cursor}),
        ("/api/v1/films/search", {"query": "wars", "cursor": cursor_of(searched)}),
        ("/api/v1/persons/search", {"query": "star", "cursor": cursor_of(searched)}),
    ]
    for path, params in refused:
        assert_invalid(api.get(path, params={"page_size": 5, **params}), "cursor")
    # The untouched cursor still works, with the page size changed.
    assert api.get("/api/v1/films", params={"sort": "title", "cursor": cursor}).status_code == 200


def _made_by_hand(values: list, model: str, bound: dict, key: bytes | None) -> str:
    """A cursor as a client could make one: the documented layout, with an HMAC of `key`, or
    with a plain SHA-256 (the unkeyed digest cursors used to carry) when `key` is None."""
    text = json.dumps([model, bound, values], sort_keys=True).encode()
    if key is None:
        digest = hashlib.sha256(text).hexdigest()[:32]
    else:
        digest = hmac.new(key, text, hashlib.sha256).hexdigest()[:32]
    return _encoded([values, digest])


# The person search's order is score, name, id; its cursors are bound to the query.
PERSON_SEARCH = ("/api/v1/persons/search", {"query": "george"}, "SearchQuery", {"query": "george"})


def test_a_cursor_made_by_hand_needs_the_servers_secret(api, catalogue):
    path, params, model, bound = PERSON_SEARCH
    first = api.get(path, params={**params, "page_size": 1})
    values, _ = _decoded(cursor_of(first))
    # The recipe is right: with the server's secret the hand-made cursor is the one it issued.
    own = _made_by_hand(values, model, bound, CURSOR_SECRET.encode())
    assert _decoded(own) == _decoded(cursor_of(first))
    assert api.get(path, params={**params, "page_size": 1, "cursor": own}).status_code == 200
    for key in (None, b"another-secret-of-some-length"):
        forged = _made_by_hand(values, model, bound, key)
        assert_invalid(api.get(path, params={**params, "cursor": forged}), "cursor")


@pytest.mark.parametrize(
    "values",
    [
        ["high", "George Lucas", "x"],  # a string where the score is a number
        [1.5, 7, "x"],  # a number where the name is a keyword
        [1.5, "George Lucas"],  # a value short
        [1e400, "George Lucas", "x"],  # JSON's infinity, which Elasticsearch cannot take
        [{"a": 1}, "George Lucas", "x"],
    ],
)
def test_a_cursor_whose_values_do_not_fit_the_order_is_a_422(api, catalogue, values):
    path, params, model, bound = PERSON_SEARCH
    # Signed without the secret, or even with it: either way nothing reaches Elasticsearch.
    for key in (None, CURSOR_SECRET.encode()):
        forged = _made_by_hand(values, model, bound, key)
        assert_invalid(api.get(path, params={**params, "cursor": forged}), "cursor")


def test_cursor_with_page_number_is_refused(api, catalogue):
    cursor = cursor_of(api.get("/api/v1/films", params={"page_size": 5}))
    for page_number in (1, 2):
        response = api.get(
            "/api/v1/films", params={"page_size": 5, "cursor": cursor, "page_number": page_number}
        )
        assert "page_number" in assert_invalid(response, "cursor")["detail"]


def test_beyond_the_result_window_the_answer_points_to_the_cursor(api, catalogue):
    body = assert_invalid(
        api.get("/api/v1/films", params={"page_size": 100, "page_number": 101}), "page_number"
    )
    assert "cursor" in body["detail"]
