"""`/api/v1/genres`: the list and one genre."""

from __future__ import annotations


def test_genre_list_sorted_by_name(api, catalogue):
    response = api.get("/api/v1/genres/")
    assert response.status_code == 200
    genres = response.json()
    assert [g["name"] for g in genres] == sorted(catalogue.genres)
    assert int(response.headers["x-total-count"]) == len(catalogue.genres)
    assert {g["uuid"] for g in genres} == {g["id"] for g in catalogue.genres.values()}


def test_genre_list_pages(api, catalogue):
    first = api.get("/api/v1/genres", params={"page_size": 2}).json()
    second = api.get("/api/v1/genres", params={"page[size]": 2, "page[number]": 2}).json()
    assert [g["name"] for g in first + second] == sorted(catalogue.genres)[:4]


def test_one_genre(api, catalogue):
    genre = catalogue.genres["Sci-Fi"]
    response = api.get(f"/api/v1/genres/{genre['id']}")
    assert response.status_code == 200
    assert response.json() == {
        "uuid": genre["id"],
        "name": "Sci-Fi",
        "description": "Sci-Fi films",
        "film_count": 4,
    }


def test_unknown_genre_is_404(api):
    response = api.get("/api/v1/genres/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
