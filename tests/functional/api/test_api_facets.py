"""`/api/v1/films/facets`: counts by genre, decade, rating band and type, each facet counted with
every filter but its own; the expected counts come from the seeded documents."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.functional.api.test_api_validation import assert_invalid


def facets(api, **params) -> dict:
    response = api.get("/api/v1/films/facets", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def expected(films) -> dict:
    genres: Counter = Counter()
    decades: Counter = Counter()
    bands: Counter = Counter()
    types: Counter = Counter()
    for film in films:
        genres.update((g["id"], g["name"]) for g in film["genre_list"])
        if film["creation_date"]:
            decades[int(film["creation_date"][:4]) // 10 * 10] += 1
        if film["imdb_rating"] is not None:
            bands[min(int(film["imdb_rating"]), 9)] += 1
        types[film["type"]] += 1
    return {
        "genres": sorted(
            ({"uuid": uuid, "name": name, "count": n} for (uuid, name), n in genres.items()),
            key=lambda g: (-g["count"], g["name"]),
        ),
        "years": [{"decade": decade, "count": n} for decade, n in sorted(decades.items())],
        "ratings": [{"from": float(b), "to": float(b + 1), "count": bands[b]} for b in range(10)],
        "types": sorted(({"type": t, "count": n} for t, n in types.items()), key=lambda t: -t["count"]),
    }


def test_facets_of_the_whole_catalogue(api, catalogue):
    assert facets(api) == expected(catalogue.films.values())


def test_each_facet_ignores_its_own_filter_and_obeys_the_others(api, catalogue):
    drama = catalogue.genre_id("Drama")
    answer = facets(api, genre=drama, type="tv_show")
    everything = list(catalogue.films.values())
    dramas = [f for f in everything if drama in f["genre_ids"]]
    tv_shows = [f for f in everything if f["type"] == "tv_show"]
    # Genres: every genre's count among TV shows, Drama's filter left out ("Comedy (n)" stays visible).
    assert answer["genres"] == expected(tv_shows)["genres"]
    # Types: the dramas' types, the type filter left out.
    assert answer["types"] == expected(dramas)["types"]
    both = [f for f in dramas if f["type"] == "tv_show"]
    assert answer["years"] == expected(both)["years"]
    assert answer["ratings"] == expected(both)["ratings"]


def test_range_facets_leave_out_their_own_range(api, catalogue):
    answer = facets(api, year_from=1979, year_to=1982, rating_from=8)
    everything = list(catalogue.films.values())
    in_years = [f for f in everything if f["creation_date"] and "1979" <= f["creation_date"][:4] <= "1982"]
    rated = [f for f in everything if f["imdb_rating"] is not None and f["imdb_rating"] >= 8]
    assert answer["years"] == expected(rated)["years"]
    assert answer["ratings"] == expected(in_years)["ratings"]


def test_facets_of_a_search(api, catalogue):
    found = api.get("/api/v1/films/search", params={"query": "star", "page_size": 100}).json()
    ids = {film["uuid"] for film in found}
    matching = [f for f in catalogue.films.values() if f["id"] in ids]
    assert len(matching) >= 5
    assert facets(api, query="star") == expected(matching)


def test_facets_are_cached(api, api_es_down, catalogue):
    params = {"genre": catalogue.genre_id("Sci-Fi"), "query": "alien"}
    assert api_es_down.get("/api/v1/films/facets", params=params).status_code == 503
    fresh = facets(api, **params)
    assert api_es_down.get("/api/v1/films/facets", params=params).json() == fresh


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"year_from": 2000, "year_to": 1990}, "year_to"), ({"role": "actor"}, "role"),
     ({"genre": "x"}, "genre"), ({"query": " "}, "query"), ({"type": "series"}, "type")],
)  # fmt: skip
def test_bad_facet_filters_are_422(api, catalogue, params, parameter):
    assert_invalid(api.get("/api/v1/films/facets", params=params), parameter)
