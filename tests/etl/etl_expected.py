"""What the indices must hold, computed from Postgres independently of the ETL's own code:
whole-table reads grouped in Python, with the placeholder rules spelled out again here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg
from elasticsearch import Elasticsearch


def _real(value: str | None) -> bool:
    return value is not None and value.strip() not in ("", "N/A", "n/a")


def _text(value: str | None) -> str | None:
    return value if _real(value) else None


def expected_documents(dsn: str) -> dict[str, dict[str, dict[str, Any]]]:
    """{index: {id: document}} for movies, genres and persons."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        films = conn.execute(
            "SELECT id::text, title, description, rating, creation_date, type, modified"
            " FROM content.film_work"
        ).fetchall()
        genres = conn.execute("SELECT id::text, name, description, modified FROM content.genre").fetchall()
        persons = conn.execute("SELECT id::text, full_name, modified FROM content.person").fetchall()
        genre_links = conn.execute(
            "SELECT film_work_id::text, genre_id::text FROM content.genre_film_work"
        ).fetchall()
        person_links = conn.execute(
            "SELECT film_work_id::text, person_id::text, role FROM content.person_film_work"
        ).fetchall()

    genre_by_id = {g[0]: g for g in genres}
    person_by_id = {p[0]: p for p in persons}
    film_by_id = {f[0]: f for f in films}
    film_genres: dict[str, list[str]] = defaultdict(list)
    genre_films: dict[str, int] = defaultdict(int)
    for film_id, genre_id in genre_links:
        film_genres[film_id].append(genre_id)
        genre_films[genre_id] += 1
    film_people: dict[str, list[tuple[str, str]]] = defaultdict(list)
    person_films: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for film_id, person_id, role in person_links:
        film_people[film_id].append((person_id, role))
        person_films[person_id][film_id].add(role)

    movies = {}
    for film_id, title, description, rating, created_on, kind, modified in films:
        genre_list = sorted(
            ({"id": g, "name": genre_by_id[g][1]} for g in film_genres[film_id]),
            key=lambda g: (g["name"], g["id"]),
        )
        people: dict[str, list[dict[str, str]]] = {"director": [], "actor": [], "writer": []}
        for person_id, role in film_people[film_id]:
            name = person_by_id[person_id][1]
            if _real(name):
                people[role].append({"id": person_id, "name": name})
        for group in people.values():
            group.sort(key=lambda p: (p["name"], p["id"]))
        movies[film_id] = {
            "id": film_id,
            "imdb_rating": rating,
            "genres": [g["name"] for g in genre_list],
            "genre_ids": [g["id"] for g in genre_list],
            "genre_list": genre_list,
            "title": _text(title),
            "description": _text(description),
            "directors_names": [p["name"] for p in people["director"]],
            "actors_names": [p["name"] for p in people["actor"]],
            "writers_names": [p["name"] for p in people["writer"]],
            "directors": people["director"],
            "actors": people["actor"],
            "writers": people["writer"],
            "creation_date": created_on.isoformat() if created_on else None,
            "type": kind,
            "modified": modified.isoformat(),
        }

    genre_docs = {
        genre_id: {
            "id": genre_id,
            "name": name,
            "description": _text(description),
            "film_count": genre_films[genre_id],
            "modified": modified.isoformat(),
        }
        for genre_id, name, description, modified in genres
        if _real(name)
    }
    person_docs = {
        person_id: {
            "id": person_id,
            "full_name": name,
            "films": sorted(
                (
                    {
                        "id": film_id,
                        "title": _text(film_by_id[film_id][1]),
                        "imdb_rating": film_by_id[film_id][3],
                        "roles": sorted(roles),
                    }
                    for film_id, roles in person_films[person_id].items()
                ),
                key=lambda f: f["id"],
            ),
            "modified": modified.isoformat(),
        }
        for person_id, name, modified in persons
        if _real(name)
    }
    return {"movies": movies, "genres": genre_docs, "persons": person_docs}


def indexed_documents(es: Elasticsearch, index_name: str) -> dict[str, dict[str, Any]]:
    """Every document of `index_name` by id (search_after paging; the index must be refreshed)."""
    documents: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        response = es.search(
            index=index_name, size=1000, sort=[{"id": "asc"}], search_after=after, track_total_hits=False
        )
        hits = response["hits"]["hits"]
        for hit in hits:
            assert hit["_id"] not in documents, f"duplicate document {hit['_id']} in {index_name}"
            documents[hit["_id"]] = hit["_source"]
        if len(hits) < 1000:
            return documents
        after = hits[-1]["sort"]


def assert_indices_match(target, dsn: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Every index equals Postgres exactly: same ids, every document equal field by field."""
    expected = expected_documents(dsn or target.dsn)
    for index, documents in expected.items():
        actual = indexed_documents(target.es, target.index_name(index))
        assert target.es.count(index=target.index_name(index))["count"] == len(documents), index
        missing = sorted(set(documents) - set(actual))
        extra = sorted(set(actual) - set(documents))
        assert not missing and not extra, f"{index}: missing {missing[:5]}, extra {extra[:5]}"
        differing = [doc_id for doc_id, doc in documents.items() if actual[doc_id] != doc]
        assert not differing, (
            f"{index}: {len(differing)} documents differ, e.g. {differing[0]}:\n"
            f"expected {documents[differing[0]]}\nindexed  {actual[differing[0]]}"
        )
    return expected
