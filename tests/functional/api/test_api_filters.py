"""Filters of `/api/v1/films/` and `/api/v1/films/search`: genres (any or all), a person in a role,
years, ratings and type, alone and combined; each bad value a 422 naming its parameter."""

from __future__ import annotations

import pytest

from tests.functional.api.test_api_validation import assert_invalid

EPISODE_V = "Star Wars: Episode V - The Empire Strikes Back"


def film_titles(api, path: str = "/api/v1/films", **params) -> list[str]:
    response = api.get(path, params={"page_size": 100, **params})
    assert response.status_code == 200, response.text
    assert int(response.headers["x-total-count"]) == len(response.json())
    return sorted(film["title"] for film in response.json())


def test_several_genres_match_any_by_default(api, catalogue):
    genres = f"{catalogue.genre_id('Romance')},{catalogue.genre_id('Mystery')}"
    expected = sorted(["Dog Star Man", EPISODE_V, "Solaris", "Solaris"])
    assert film_titles(api, genre=genres) == expected
    assert film_titles(api, genre=genres, genre_match="any") == expected
    assert film_titles(api, genre=f"{genres},{catalogue.genre_id('Action')}") == sorted(
        [*expected, "Star Wars"]
    )


def test_genre_match_all_needs_every_genre(api, catalogue):
    genres = f"{catalogue.genre_id('Romance')},{catalogue.genre_id('Mystery')}"
    assert film_titles(api, genre=genres, genre_match="all") == [EPISODE_V]
    with_drama = f"{catalogue.genre_id('Drama')},{catalogue.genre_id('Mystery')}"
    assert film_titles(api, genre=with_drama, genre_match="all") == ["Solaris"]


def test_the_old_single_genre_spellings_keep_working(api, catalogue):
    romance = catalogue.genre_id("Romance")
    assert film_titles(api, genre=romance) == sorted([EPISODE_V, "Solaris"])
    assert film_titles(api, **{"filter[genre]": romance}) == sorted([EPISODE_V, "Solaris"])


def test_person_in_a_role_is_the_same_person_in_that_role(api, catalogue):
    kershner = catalogue.person_id("Irvin Kershner")
    # He directed one film and wrote another: "directed it" is not confused with "wrote it".
    assert film_titles(api, person=kershner, role="director") == [EPISODE_V]
    assert film_titles(api, person=kershner, role="writer") == ["Solaris"]
    assert film_titles(api, person=kershner, role="actor") == []
    assert film_titles(api, person=kershner) == sorted([EPISODE_V, "Solaris"])
    ford = catalogue.person_id("Harrison Ford")
    assert film_titles(api, person=ford, role="actor") == ["Blade Runner", "Star Wars"]
    assert film_titles(api, person=ford, role="director") == []


def test_years_of_creation_are_inclusive(api, catalogue):
    assert film_titles(api, year_from=1979, year_to=1982) == ["Alien", "Blade Runner", "Star Trek"]
    assert film_titles(api, year_to=1970) == ["Dog Star Man"]
    assert film_titles(api, year_from=2000) == ["Wars of the Star"]
    # A film without a date is in no range.
    assert "Lucas" not in film_titles(api, year_from=1800, year_to=2200)


def test_ratings_are_inclusive_and_unrated_films_are_in_no_range(api, catalogue):
    assert film_titles(api, rating_from=8.5, rating_to=8.6) == ["Alien", "Star Wars"]
    assert film_titles(api, rating_from=8.35, rating_to=8.45) == [EPISODE_V]
    assert "Cache Probe" not in film_titles(api, rating_from=0)


def test_type(api, catalogue):
    assert film_titles(api, type="tv_show") == ["Star Trek", "Wars of the Star"]
    assert len(film_titles(api, type="movie")) == len(catalogue.films) - 2


def test_filters_combine_with_each_other_and_with_search(api, catalogue):
    sci_fi = catalogue.genre_id("Sci-Fi")
    assert film_titles(api, genre=sci_fi, year_from=1979, rating_to=8.2) == ["Blade Runner", "Star Trek"]
    search = "/api/v1/films/search"
    assert film_titles(api, search, query="star", type="tv_show") == ["Star Trek", "Wars of the Star"]
    ford = catalogue.person_id("Harrison Ford")
    assert film_titles(api, search, query="star", person=ford, role="actor") == ["Star Wars"]
    assert film_titles(api, search, query="star", genre=sci_fi, year_to=1978) == ["Star Wars"]


def test_filtered_lists_keep_their_sort_and_paginate(api, catalogue):
    drama = catalogue.genre_id("Drama")
    first = api.get("/api/v1/films", params={"genre": drama, "page_size": 10, "sort": "title"})
    assert first.status_code == 200
    listed = [film["title"] for film in first.json()]
    assert listed == sorted(listed)
    link = first.headers["link"]
    assert 'rel="next"' in link and f"genre={drama}" in link


GENRE = "00000000-0000-4000-8000-000000000001"
PERSON = "00000000-0000-4000-8000-000000000002"


@pytest.mark.parametrize("path", ["/api/v1/films", "/api/v1/films/search"])
@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"genre": f"{GENRE},not-a-uuid"}, "genre"),
        ({"genre": f"{GENRE},,{GENRE}"}, "genre"),
        ({"genre": ",".join([GENRE] * 21)}, "genre"),
        ({"genre_match": "most"}, "genre_match"),
        ({"person": "someone"}, "person"),
        ({"role": "director"}, "role"),
        ({"person": PERSON, "role": "producer"}, "role"),
        ({"year_from": 2001, "year_to": 2000}, "year_to"),
        ({"year_from": "last"}, "year_from"),
        ({"year_to": 99999}, "year_to"),
        ({"rating_from": 7, "rating_to": 6.5}, "rating_to"),
        ({"rating_from": -1}, "rating_from"),
        ({"rating_to": 10.5}, "rating_to"),
        ({"type": "film"}, "type"),
    ],
)
def test_bad_filters_are_422_naming_the_parameter(api, catalogue, path, params, parameter):
    assert_invalid(api.get(path, params={"query": "star", **params}), parameter)


def test_twenty_genres_are_allowed(api, catalogue):
    genres = ",".join(f"00000000-0000-4000-8000-{number:012d}" for number in range(20))
    assert api.get("/api/v1/films", params={"genre": genres}).status_code == 200
