"""The restores: the catalogue dump into an empty database, the snapshot into missing indices,
each skipped when there is data; and the ETL converges on restored or deleted indices."""

from __future__ import annotations

from pathlib import Path

import psycopg
from etl_expected import assert_indices_match

import es_mappings
from catalogue import SCHEMA_SQL
from cinema_etl import load, restore

# The committed backups, as both stacks' CINEMA_RESTORE_DIR names them.
BACKUPS = restore.Backups(Path(__file__).resolve().parents[2] / "restore")
DEFAULT_COUNTS = {"film_work": 999, "genre": 26, "person": 4196}


def test_empty_database_is_restored_and_a_filled_one_is_left_untouched(scratch_database):
    dsn = scratch_database()
    assert restore.catalogue_rows(dsn) is None

    outcome = restore.restore_postgres(dsn, BACKUPS)

    assert outcome.restored
    counts = restore.catalogue_rows(dsn)
    assert {k: counts[k] for k in DEFAULT_COUNTS} == DEFAULT_COUNTS
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE content.film_work SET title = 'Kept' WHERE id = (SELECT min(id::text)::uuid"
            " FROM content.film_work)"
        )
        conn.execute(
            "DELETE FROM content.film_work WHERE id = (SELECT max(id::text)::uuid FROM content.film_work)"
        )
    again = restore.restore_postgres(dsn, BACKUPS)
    assert not again.restored and "left untouched" in again.reason
    assert restore.catalogue_rows(dsn)["film_work"] == 998
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM content.film_work WHERE title = 'Kept'").fetchone()[0] == 1


def test_empty_schema_is_filled(scratch_database):
    dsn = scratch_database()
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    assert restore.catalogue_rows(dsn) == dict.fromkeys(restore.CATALOGUE_TABLES, 0)
    assert restore.restore_postgres(dsn, BACKUPS).restored
    assert restore.catalogue_rows(dsn)["film_work"] == 999


def test_missing_indices_are_restored_from_the_snapshot(es, index_prefix):
    outcome = restore.restore_elasticsearch(es, BACKUPS, index_prefix)

    assert outcome.restored
    counts = {
        index: es.count(index=f"{index_prefix}{index}")["count"] for index in ("movies", "genres", "persons")
    }
    assert counts == {"movies": 999, "genres": 26, "persons": 4193}
    # Restored under their versioned names, each behind its alias.
    for index in ("movies", "genres", "persons"):
        assert es.indices.exists_alias(name=f"{index_prefix}{index}")
        assert load.concrete_indices(es, f"{index_prefix}{index}") == [
            es_mappings.versioned_name(index, index_prefix)
        ]
    again = restore.restore_elasticsearch(es, BACKUPS, index_prefix)
    assert not again.restored
    load.delete_indices(es, [f"{index_prefix}genres"])
    partial = restore.restore_elasticsearch(es, BACKUPS, index_prefix)
    assert partial.restored and "genres 26" in partial.reason and "movies" not in partial.reason


def test_etl_converges_after_restoring_the_older_snapshot_or_deleting_an_index(
    scratch_database, index_prefix, es, target_for
):
    dsn = scratch_database()
    assert restore.restore_postgres(dsn, BACKUPS).restored
    target = target_for(dsn)
    # Postgres moves on from the snapshot: an edit, a deletion, a new link.
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE content.film_work SET title = 'After the snapshot', modified = now()"
            " WHERE id = (SELECT id FROM content.film_work ORDER BY id LIMIT 1)"
        )
        conn.execute(
            "DELETE FROM content.person WHERE id = (SELECT person_id FROM content.person_film_work"
            " GROUP BY person_id ORDER BY count(*) DESC, person_id LIMIT 1)"
        )
        conn.execute(
            "DELETE FROM content.film_work WHERE id = (SELECT id FROM content.film_work ORDER BY id DESC"
            " LIMIT 1)"
        )
    assert restore.restore_elasticsearch(es, BACKUPS, index_prefix).restored

    reports = target.run_all()

    # A snapshot's versioned indices resync; plain ones (an older snapshot) are rebuilt and replaced.
    assert all(report.resynced or report.replaced for report in reports.values())
    assert_indices_match(target)

    load.delete_indices(es, [target.index_name("movies")])
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE content.genre SET name = name || ' noir', modified = now()"
            " WHERE id = (SELECT id FROM content.genre ORDER BY id LIMIT 1)"
        )
    reports = target.run_all()
    assert reports["movies"].created
    assert_indices_match(target)
