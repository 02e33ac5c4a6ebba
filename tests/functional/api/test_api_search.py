"""`/api/v1/films/search`: relevance over title, description, people and genres; one typo."""

from __future__ import annotations


def titles(api, query: str, **params) -> list[str]:
    response = api.get("/api/v1/films/search", params={"query": query, **params})
    assert response.status_code == 200
    return [film["title"] for film in response.json()]


def test_search_by_title_word(api):
    assert set(titles(api, "star")[:2]) == {"Star Wars", "Star Trek"}


def test_title_match_outranks_description_match(api):
    found = titles(api, "alien")
    assert found[0] == "Alien"
    assert "Filler 03" in found  # its description mentions an alien


def test_search_tolerates_one_typo(api):
    assert titles(api, "blade runer")[0] == "Blade Runner"
    assert titles(api, "Alein")[0] == "Alien"


def test_search_by_person_and_genre(api):
    assert titles(api, "Sigourney Weaver") == ["Alien"]
    assert set(titles(api, "Lucas")) == {"Star Wars"}
    assert "Star Wars" in titles(api, "Action")


def test_search_results_are_short_films_and_paginate_without_overlap(api, catalogue):
    response = api.get("/api/v1/films/search", params={"query": "story", "page_size": 100})
    everything = response.json()
    assert int(response.headers["x-total-count"]) == len(everything) == 60 - 1  # Filler 03 is about an alien
    assert set(everything[0]) == {"uuid", "title", "imdb_rating"}
    paged = []
    for page_number in range(1, 8):
        paged += api.get(
            "/api/v1/films/search", params={"query": "story", "page[size]": 10, "page[number]": page_number}
        ).json()
    assert [f["uuid"] for f in paged] == [f["uuid"] for f in everything]


def test_search_without_match_is_an_empty_list(api):
    assert titles(api, "zzzqqqxxx") == []
