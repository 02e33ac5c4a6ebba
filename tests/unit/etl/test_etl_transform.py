"""Rows to documents: placeholders, people by role, stable ordering; and the state's round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cinema_etl import state, transform

STAMP = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("value", ["N/A", "n/a", "", "   ", None, " N/A "])
def test_placeholders_become_null(value):
    assert transform.is_placeholder(value)
    assert transform.clean(value) is None


@pytest.mark.parametrize("value", ["NA", "Not available", "N/A film", "0"])
def test_real_text_is_kept(value):
    assert transform.clean(value) == value


def test_film_document_groups_people_by_role_and_drops_placeholder_people():
    doc = transform.film_document(
        "f1",
        "Title",
        "N/A",
        7.5,
        date(1999, 3, 31),
        "movie",
        STAMP,
        genres=[{"id": "g2", "name": "Drama"}, {"id": "g1", "name": "Comedy"}],
        people=[
            {"id": "p9", "name": "N/A", "role": "director"},
            {"id": "p2", "name": "Zoe", "role": "actor"},
            {"id": "p1", "name": "Adam", "role": "actor"},
            {"id": "p1", "name": "Adam", "role": "writer"},
            {"id": "p3", "name": "", "role": "writer"},
        ],
    )
    assert doc["directors_names"] == [] and doc["directors"] == []
    assert doc["actors_names"] == ["Adam", "Zoe"]
    assert doc["actors"] == [{"id": "p1", "name": "Adam"}, {"id": "p2", "name": "Zoe"}]
    assert doc["writers"] == [{"id": "p1", "name": "Adam"}]
    assert doc["genres"] == ["Comedy", "Drama"]
    assert doc["genre_ids"] == ["g1", "g2"]
    assert doc["genre_list"] == [{"id": "g1", "name": "Comedy"}, {"id": "g2", "name": "Drama"}]
    assert doc["description"] is None
    assert doc["creation_date"] == "1999-03-31"
    assert doc["modified"] == "2024-05-01T12:00:00.123456+00:00"
    assert doc["imdb_rating"] == 7.5 and doc["type"] == "movie" and doc["title"] == "Title"


def test_film_without_people_or_date():
    doc = transform.film_document("f", "", None, None, None, "tv_show", STAMP, [], [])
    assert doc["title"] is None and doc["creation_date"] is None and doc["imdb_rating"] is None
    assert doc["actors"] == doc["writers"] == doc["directors"] == []


def test_person_document_merges_roles_per_film_and_skips_placeholder_people():
    doc = transform.person_document(
        "p",
        "Ann Lee",
        STAMP,
        [
            {"id": "f2", "title": "N/A", "rating": None, "roles": ["writer", "actor", "writer"]},
            {"id": "f1", "title": "First", "rating": 8.1, "roles": ["director"]},
        ],
    )
    assert doc["films"] == [
        {"id": "f1", "title": "First", "imdb_rating": 8.1, "roles": ["director"]},
        {"id": "f2", "title": None, "imdb_rating": None, "roles": ["actor", "writer"]},
    ]
    assert transform.person_document("x", "N/A", STAMP, []) is None


def test_genre_document():
    assert transform.genre_document("g", "Drama", "", 3, STAMP) == {
        "id": "g",
        "name": "Drama",
        "description": None,
        "film_count": 3,
        "modified": STAMP.isoformat(),
    }
    assert transform.genre_document("g", "N/A", "x", 0, STAMP) is None


def test_state_round_trips_through_the_mapping_meta():
    current = state.IndexState(
        origin="o",
        journal_xmax=42,
        journal_xip=[40, 41],
        scan_pending=True,
        scan_after="abc",
        fresh=True,
        sweep_pending=True,
        bump_pending=True,
    )
    assert state.IndexState.from_meta(current.to_meta()) == current


def test_unknown_or_missing_state_means_none():
    assert state.IndexState.from_meta(None) is None
    assert state.IndexState.from_meta({"version": 999}) is None
