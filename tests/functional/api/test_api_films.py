"""`/api/v1/films`: one film, lists, sorts, the genre filter, pagination and the aliases."""

from __future__ import annotations

import pytest


def all_pages(api, path: str, page_size: int, **params) -> list[dict]:
    items: list[dict] = []
    page_number = 1
    while True:
        response = api.get(path, params={**params, "page_size": page_size, "page_number": page_number})
        assert response.status_code == 200
        page = response.json()
        if not page:
            return items
        items.extend(page)
        page_number += 1


def test_one_film_has_the_contract_fields(api, catalogue):
    film = catalogue.films["Star Wars"]
    response = api.get(f"/api/v1/films/{film['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["uuid"] == film["id"]
    assert body["title"] == "Star Wars"
    assert body["imdb_rating"] == pytest.approx(8.6)
    assert body["description"] == film["description"]
    assert body["creation_date"] == "1977-05-25"
    assert sorted(g["name"] for g in body["genre"]) == ["Action", "Sci-Fi"]
    assert {g["uuid"] for g in body["genre"]} == set(film["genre_ids"])
    assert [p["full_name"] for p in body["actors"]] == ["Mark Hamill", "Harrison Ford", "Carrie Fisher"]
    assert body["directors"] == [{"uuid": catalogue.person_id("George Lucas"), "full_name": "George Lucas"}]
    assert body["writers"] == body["directors"]


def test_a_film_without_rating_people_or_genres(api, catalogue):
    body = api.get(f"/api/v1/films/{catalogue.film_id('Cache Probe')}").json()
    assert body["imdb_rating"] is None
    assert body["genre"] == body["actors"] == body["writers"] == body["directors"] == []


def test_list_is_a_bare_array_of_short_films_with_total_header(api, catalogue):
    response = api.get("/api/v1/films/", params={"page_size": 5})
    assert response.status_code == 200
    films = response.json()
    assert isinstance(films, list)
    assert len(films) == 5
    assert set(films[0]) == {"uuid", "title", "imdb_rating"}
    assert int(response.headers["x-total-count"]) == len(catalogue.films)
    assert 'rel="next"' in response.headers["link"]


def test_default_sort_is_best_rated_first_with_unrated_last(api, catalogue):
    films = all_pages(api, "/api/v1/films", page_size=100)
    ratings = [f["imdb_rating"] for f in films]
    rated = [r for r in ratings if r is not None]
    assert rated == sorted(rated, reverse=True)
    assert ratings[len(rated) :] == [None] * (len(ratings) - len(rated))
    assert films[0]["title"] == "Star Wars"


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("imdb_rating", lambda f: f["imdb_rating"], False),
        ("-imdb_rating", lambda f: f["imdb_rating"], True),
        ("title", lambda f: f["title"], False),
        ("-title", lambda f: f["title"], True),
    ],
)
def test_each_sort_orders_the_whole_list(api, catalogue, sort, key, reverse):
    films = all_pages(api, "/api/v1/films", page_size=100, sort=sort)
    assert len(films) == len(catalogue.films)
    keyed = [f for f in films if f["imdb_rating"] is not None] if "rating" in sort else films
    assert [key(f) for f in keyed] == sorted((key(f) for f in keyed), reverse=reverse)


@pytest.mark.parametrize("sort", ["imdb_rating", "-imdb_rating", "title", "-title"])
def test_pages_never_overlap_and_cover_everything(api, catalogue, sort):
    paged = all_pages(api, "/api/v1/films", page_size=7, sort=sort)
    whole = api.get("/api/v1/films", params={"sort": sort, "page_size": 100}).json()
    assert [f["uuid"] for f in paged] == [f["uuid"] for f in whole]
    assert len({f["uuid"] for f in paged}) == len(catalogue.films)


def test_pagination_boundaries(api, catalogue):
    total = len(catalogue.films)
    last_page = -(-total // 10)
    last = api.get("/api/v1/films", params={"page_size": 10, "page_number": last_page})
    assert len(last.json()) == total - (last_page - 1) * 10
    assert "next" not in last.headers.get("link", "")
    assert api.get("/api/v1/films", params={"page_size": 10, "page_number": last_page + 1}).json() == []
    assert len(api.get("/api/v1/films", params={"page_size": 1}).json()) == 1
    assert len(api.get("/api/v1/films", params={"page_size": 100}).json()) == total
    # The last page inside Elasticsearch's 10 000-hit window is allowed (and empty here).
    edge = api.get("/api/v1/films", params={"page_size": 100, "page_number": 100})
    assert edge.status_code == 200
    assert edge.json() == []


def test_default_page_size_is_50(api, catalogue):
    assert len(catalogue.films) > 50
    assert len(api.get("/api/v1/films").json()) == 50


def test_genre_filter(api, catalogue):
    scifi = api.get("/api/v1/films", params={"genre": catalogue.genre_id("Sci-Fi")}).json()
    assert {f["title"] for f in scifi} == {"Star Wars", "Star Trek", "Alien", "Blade Runner"}
    action = api.get("/api/v1/films", params={"genre": catalogue.genre_id("Action")}).json()
    assert [f["title"] for f in action] == ["Star Wars"]


def test_genre_without_films_and_unknown_genre_give_an_empty_list(api, catalogue):
    documentary = api.get("/api/v1/films", params={"genre": catalogue.genre_id("Documentary")})
    assert documentary.status_code == 200
    assert documentary.json() == []
    unknown = api.get("/api/v1/films", params={"genre": "00000000-0000-4000-8000-000000000000"})
    assert unknown.status_code == 200
    assert unknown.json() == []


def test_aliases_and_trailing_slash_give_the_same_answer(api, catalogue):
    genre = catalogue.genre_id("Drama")
    canonical = api.get(
        "/api/v1/films/", params={"genre": genre, "page_number": 2, "page_size": 5, "sort": "title"}
    )
    aliased = api.get(
        "/api/v1/films", params={"sort": "title", "page[size]": 5, "filter[genre]": genre, "page[number]": 2}
    )
    assert canonical.status_code == aliased.status_code == 200
    assert canonical.json() == aliased.json()
    assert len(canonical.json()) == 5


def test_unknown_film_is_404_json(api):
    response = api.get("/api/v1/films/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
