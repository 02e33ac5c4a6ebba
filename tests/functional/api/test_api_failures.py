"""Dependencies down: Redis down is invisible to clients; Elasticsearch down is a clear 503."""

from __future__ import annotations


def test_redis_down_answers_from_elasticsearch(api_redis_down, catalogue):
    film = api_redis_down.get(f"/api/v1/films/{catalogue.film_id('Blade Runner')}")
    assert film.status_code == 200
    assert film.json()["title"] == "Blade Runner"
    films = api_redis_down.get("/api/v1/films", params={"sort": "title", "page_size": 3})
    assert films.status_code == 200
    assert [f["title"] for f in films.json()] == ["Alien", "Blade Runner", "Cache Probe"]
    people = api_redis_down.get("/api/v1/persons/search", params={"query": "fisher"})
    assert [p["full_name"] for p in people.json()] == ["Carrie Fisher"]
    unknown = api_redis_down.get("/api/v1/genres/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404


def test_elasticsearch_down_gives_503_json_on_every_resource(api_es_down, catalogue):
    for path in (
        f"/api/v1/films/{catalogue.film_id('Star Wars')}x"[:-1],
        "/api/v1/genres?page_size=17",
        "/api/v1/persons/search?query=nobody-cached-this",
        f"/api/v1/persons/{catalogue.person_id('Mark Hamill')}/films?page_size=99",
    ):
        response = api_es_down.get(path)
        assert response.status_code == 503, path
        assert response.json()["dependency"] == "elasticsearch"


def test_validation_still_answers_422_with_elasticsearch_down(api_es_down, catalogue):
    response = api_es_down.get("/api/v1/films", params={"page_size": 0})
    assert response.status_code == 422
