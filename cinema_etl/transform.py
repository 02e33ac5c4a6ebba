"""Postgres rows to Elasticsearch documents: pure functions, no I/O.

Placeholders: the catalogue marks unknown values with 'N/A' or an empty string. They must never
reach the index as text: descriptions and titles become null, and a person with a placeholder
name is left out of people lists (a director named 'N/A' means "no known director").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

PLACEHOLDERS = frozenset({"", "n/a"})
ROLES = ("director", "actor", "writer")


def is_placeholder(value: str | None) -> bool:
    """True for null, '', whitespace and 'N/A' in any case."""
    return value is None or value.strip().lower() in PLACEHOLDERS


def clean(value: str | None) -> str | None:
    """The value, or None when it is a placeholder."""
    return None if is_placeholder(value) else value


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def film_document(
    film_id: Any,
    title: str | None,
    description: str | None,
    rating: float | None,
    creation_date: date | None,
    kind: str,
    modified: datetime,
    genres: Iterable[Mapping[str, Any]],
    people: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """A `movies` document. `genres` are {id, name}; `people` are {id, name, role}."""
    genre_list = sorted(
        ({"id": str(g["id"]), "name": g["name"]} for g in genres if not is_placeholder(g["name"])),
        key=lambda g: (g["name"], g["id"]),
    )
    by_role: dict[str, list[dict[str, str]]] = {role: [] for role in ROLES}
    for person in people:
        if person["role"] in by_role and not is_placeholder(person["name"]):
            by_role[person["role"]].append({"id": str(person["id"]), "name": person["name"]})
    for members in by_role.values():
        members.sort(key=lambda p: (p["name"], p["id"]))
    return {
        "id": str(film_id),
        "imdb_rating": rating,
        "genres": [g["name"] for g in genre_list],
        "genre_ids": [g["id"] for g in genre_list],
        "genre_list": genre_list,
        "title": clean(title),
        "description": clean(description),
        "directors_names": [p["name"] for p in by_role["director"]],
        "actors_names": [p["name"] for p in by_role["actor"]],
        "writers_names": [p["name"] for p in by_role["writer"]],
        "directors": by_role["director"],
        "actors": by_role["actor"],
        "writers": by_role["writer"],
        "creation_date": _iso(creation_date),
        "type": kind,
        "modified": _iso(modified),
    }


def genre_document(
    genre_id: Any, name: str, description: str | None, film_count: int, modified: datetime
) -> dict[str, Any] | None:
    """A `genres` document, or None for a genre with a placeholder name (not indexed)."""
    if is_placeholder(name):
        return None
    return {
        "id": str(genre_id),
        "name": name,
        "description": clean(description),
        "film_count": film_count,
        "modified": _iso(modified),
    }


def person_document(
    person_id: Any, full_name: str, modified: datetime, films: Iterable[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """A `persons` document, or None for a placeholder person (not indexed).

    `films` are {id, title, rating, roles}; a film appears once with all the person's roles in it.
    """
    if is_placeholder(full_name):
        return None
    entries = sorted(
        (
            {
                "id": str(film["id"]),
                "title": clean(film["title"]),
                "imdb_rating": film["rating"],
                "roles": sorted(set(film["roles"])),
            }
            for film in films
        ),
        key=lambda f: f["id"],
    )
    return {"id": str(person_id), "full_name": full_name, "films": entries, "modified": _iso(modified)}
