"""`/api/v1/persons`: one person with roles, a person's films (both spellings), person search."""

from __future__ import annotations


def test_one_person_with_films_and_roles(api, catalogue):
    lucas = catalogue.persons["George Lucas"]
    response = api.get(f"/api/v1/persons/{lucas['id']}")
    assert response.status_code == 200
    assert response.json() == {
        "uuid": lucas["id"],
        "full_name": "George Lucas",
        "films": [{"uuid": catalogue.film_id("Star Wars"), "roles": ["director", "writer"]}],
    }


def test_person_films_as_short_films(api, catalogue):
    ford = catalogue.person_id("Harrison Ford")
    response = api.get(f"/api/v1/persons/{ford}/film")
    assert response.status_code == 200
    films = response.json()
    assert {f["title"] for f in films} == {"Star Wars", "Blade Runner"}
    assert set(films[0]) == {"uuid", "title", "imdb_rating"}
    assert api.get(f"/api/v1/persons/{ford}/films/").json() == films


def test_person_films_paginate(api, catalogue):
    extra = catalogue.persons["Extra Player"]
    paged = []
    for page_number in (1, 2, 3):
        response = api.get(
            f"/api/v1/persons/{extra['id']}/film", params={"page_size": 25, "page_number": page_number}
        )
        assert int(response.headers["x-total-count"]) == len(extra["films"])
        paged.extend(response.json())
    assert [f["uuid"] for f in paged] == [f["id"] for f in extra["films"]]


def test_person_search_tolerates_a_typo(api, catalogue):
    response = api.get("/api/v1/persons/search", params={"query": "Harison Ford"})
    assert response.status_code == 200
    people = response.json()
    assert people[0]["full_name"] == "Harrison Ford"
    assert people[0]["uuid"] == catalogue.person_id("Harrison Ford")
    assert {f["uuid"] for f in people[0]["films"]} == {
        catalogue.film_id("Star Wars"),
        catalogue.film_id("Blade Runner"),
    }


def test_person_search_by_surname(api, catalogue):
    people = api.get("/api/v1/persons/search/", params={"query": "weaver"}).json()
    assert [p["full_name"] for p in people] == ["Sigourney Weaver"]


def test_unknown_person_and_their_films_are_404(api):
    unknown = "00000000-0000-4000-8000-000000000000"
    for path in (f"/api/v1/persons/{unknown}", f"/api/v1/persons/{unknown}/film"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
