"""Bad input: every case answers a JSON 4xx naming the parameter, never a 500."""

from __future__ import annotations

import pytest

FILM_ID = "00000000-0000-4000-8000-000000000000"


def assert_invalid(response, parameter: str) -> dict:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_parameter"
    assert body["parameter"] == parameter
    assert parameter in body["detail"]
    return body


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": -5}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": ""}, "page_size"),
        ({"page[size]": 1000}, "page_size"),
        ({"page_number": 0}, "page_number"),
        ({"page_number": "1.5"}, "page_number"),
        ({"page[number]": -1}, "page_number"),
        ({"page_number": 101, "page_size": 100}, "page_number"),
        ({"page_number": 10001}, "page_number"),
        ({"genre": "not-a-uuid"}, "genre"),
        ({"filter[genre]": "123"}, "genre"),
        ({"page_size": [1, 2]}, "page_size"),
        ({"page_size": 5, "page[size]": 5}, "page_size"),
    ],
)
def test_bad_film_list_parameters(api, catalogue, params, parameter):
    assert_invalid(api.get("/api/v1/films", params=params), parameter)


def test_unknown_sort_lists_the_allowed_values(api, catalogue):
    body = assert_invalid(api.get("/api/v1/films", params={"sort": "rating"}), "sort")
    for allowed in ("imdb_rating", "-imdb_rating", "title", "-title"):
        assert f"'{allowed}'" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/films/search", "/api/v1/persons/search"])
@pytest.mark.parametrize("query", ["", "   ", "\t\n", "x" * 257])
def test_bad_search_query(api, catalogue, path, query):
    assert_invalid(api.get(path, params={"query": query}), "query")


@pytest.mark.parametrize("path", ["/api/v1/films/search", "/api/v1/persons/search"])
def test_missing_search_query(api, catalogue, path):
    assert_invalid(api.get(path), "query")


@pytest.mark.parametrize("path", ["/api/v1/films/search", "/api/v1/persons/search"])
def test_longest_query_is_accepted(api, catalogue, path):
    response = api.get(path, params={"query": "x" * 256})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", ["/api/v1/films/search", "/api/v1/persons/search"])
def test_search_pagination_is_validated_too(api, catalogue, path):
    assert_invalid(api.get(path, params={"query": "star", "page_size": 0}), "page_size")
    assert_invalid(api.get(path, params={"query": "star", "page_number": 201}), "page_number")


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/films/not-a-uuid", "film_id"),
        ("/api/v1/films/1234", "film_id"),
        ("/api/v1/genres/xyz", "genre_id"),
        ("/api/v1/persons/xyz", "person_id"),
        ("/api/v1/persons/xyz/film", "person_id"),
        ("/api/v1/persons/xyz/films", "person_id"),
        (f"/api/v1/films/{FILM_ID}x", "film_id"),
    ],
)
def test_malformed_ids(api, catalogue, path, parameter):
    assert_invalid(api.get(path), parameter)


def test_person_films_pagination_is_validated(api, catalogue):
    person = catalogue.person_id("Extra Player")
    assert_invalid(api.get(f"/api/v1/persons/{person}/film", params={"page_size": 500}), "page_size")


def test_unknown_parameters_are_ignored(api, catalogue):
    response = api.get("/api/v1/films", params={"page_size": 3, "colour": "blue"})
    assert response.status_code == 200
    assert len(response.json()) == 3


def test_unknown_path_and_wrong_method_are_json(api, catalogue):
    missing = api.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"]
    wrong = api.post("/api/v1/films")
    assert wrong.status_code == 405
    assert wrong.json()["code"]
