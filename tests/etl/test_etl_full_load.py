"""A full load into fresh indices: counts and every document equal Postgres."""

from __future__ import annotations

import psycopg
from etl_expected import assert_indices_match, indexed_documents


def test_full_load_matches_postgres(target):
    reports = target.run_all()

    assert all(report.created for report in reports.values())
    expected = assert_indices_match(target)
    with psycopg.connect(target.dsn) as conn:
        films, genres, persons, placeholders = conn.execute(
            "SELECT (SELECT count(*) FROM content.film_work), (SELECT count(*) FROM content.genre),"
            " (SELECT count(*) FROM content.person),"
            " (SELECT count(*) FROM content.person WHERE full_name IN ('N/A', ''))"
        ).fetchone()
    assert (films, genres) == (999, 26)
    assert placeholders > 0, "the generated catalogue should contain placeholder people"
    assert len(expected["movies"]) == films
    assert len(expected["genres"]) == genres
    assert len(expected["persons"]) == persons - placeholders
    assert target.generation("movies") == 1


def test_placeholders_are_cleaned(target):
    target.run_all()
    movies = indexed_documents(target.es, target.index_name("movies"))
    with psycopg.connect(target.dsn) as conn:
        placeholder_descriptions = [
            str(row[0])
            for row in conn.execute("SELECT id FROM content.film_work WHERE description IN ('N/A', '')")
        ]
        # Films whose only director is a person named 'N/A': no known director.
        na_directed = [
            str(row[0])
            for row in conn.execute(
                "SELECT pfw.film_work_id FROM content.person_film_work pfw"
                " JOIN content.person p ON p.id = pfw.person_id WHERE pfw.role = 'director'"
                " GROUP BY pfw.film_work_id HAVING bool_and(p.full_name = 'N/A')"
            )
        ]
        na_person = conn.execute(
            "SELECT id::text FROM content.person WHERE full_name = 'N/A' LIMIT 1"
        ).fetchone()[0]
    assert placeholder_descriptions and na_directed
    for film_id in placeholder_descriptions:
        assert movies[film_id]["description"] is None
    for film_id in na_directed:
        assert movies[film_id]["directors_names"] == []
        assert movies[film_id]["directors"] == []
    for doc in movies.values():
        for field in ("directors_names", "actors_names", "writers_names"):
            assert "N/A" not in doc[field] and "" not in doc[field]
    assert not target.es.exists(index=target.index_name("persons"), id=na_person)


def test_sampled_film_matches_postgres_field_by_field(target):
    """One well-linked film checked against hand-written queries, not the shared oracle."""
    target.run_all()
    with psycopg.connect(target.dsn) as conn:
        film_id, title, rating = conn.execute(
            "SELECT fw.id::text, fw.title, fw.rating FROM content.film_work fw"
            " WHERE fw.rating IS NOT NULL AND EXISTS (SELECT 1 FROM content.person_film_work"
            "   WHERE film_work_id = fw.id AND role = 'director')"
            " ORDER BY (SELECT count(*) FROM content.person_film_work WHERE film_work_id = fw.id) DESC"
            " LIMIT 1"
        ).fetchone()
        genres = {
            row[0]
            for row in conn.execute(
                "SELECT g.name FROM content.genre g JOIN content.genre_film_work l ON l.genre_id = g.id"
                " WHERE l.film_work_id = %s",
                (film_id,),
            )
        }
        people = conn.execute(
            "SELECT p.id::text, p.full_name, l.role FROM content.person p"
            " JOIN content.person_film_work l ON l.person_id = p.id WHERE l.film_work_id = %s",
            (film_id,),
        ).fetchall()
    doc = target.es.get(index=target.index_name("movies"), id=film_id)["_source"]
    assert doc["title"] == title
    assert doc["imdb_rating"] == rating
    assert set(doc["genres"]) == genres
    for role in ("director", "actor", "writer"):
        names = sorted(name for _, name, r in people if r == role and name != "N/A")
        assert sorted(doc[f"{role}s_names"]) == names
        assert sorted(p["id"] for p in doc[f"{role}s"]) == sorted(
            pid for pid, name, r in people if r == role and name != "N/A"
        )
    person_id, _, role = next(p for p in people if p[1] != "N/A")
    person = target.es.get(index=target.index_name("persons"), id=person_id)["_source"]
    entry = next(f for f in person["films"] if f["id"] == film_id)
    assert role in entry["roles"]
    assert entry["title"] == title and entry["imdb_rating"] == rating
