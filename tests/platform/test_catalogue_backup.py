"""The committed backup restores into an empty database, and the schema rejects bad rows."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "restore" / "catalogue.dump"
TABLES = ("film_work", "genre", "person", "genre_film_work", "person_film_work")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM content.{t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def restored(scratch_database) -> str:
    dsn = scratch_database()
    subprocess.run(
        [PG_BIN / "pg_restore", "--no-owner", "--exit-on-error", "--dbname", dsn, BACKUP], check=True
    )
    return dsn


@pytest.fixture
def schema_only(scratch_database) -> str:
    dsn = scratch_database()
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    return dsn


def test_backup_restores_the_established_catalogue_size(restored):
    restored_counts = counts(restored)
    # The established catalogue: 999 films, 26 genres, about 4,200 people, several links per film.
    assert restored_counts["film_work"] == 999
    assert restored_counts["genre"] == 26
    assert 3_800 <= restored_counts["person"] <= 4_600
    assert restored_counts["genre_film_work"] > restored_counts["film_work"]
    assert restored_counts["person_film_work"] > 3 * restored_counts["film_work"]


def test_backup_matches_the_generator_at_its_documented_seed(restored, schema_only):
    with psycopg.connect(schema_only) as conn:
        load(conn, seed=42, size=CatalogueSize(films=999))
    assert counts(restored) == counts(schema_only), "restore/catalogue.dump is stale: run `make backup`"


def test_backup_holds_the_data_the_etl_must_handle(restored):
    with psycopg.connect(restored) as conn:

        def scalar(query: str) -> int:
            return conn.execute(query).fetchone()[0]

        assert scalar("SELECT count(*) FROM content.film_work WHERE rating IS NULL") > 0
        assert (
            scalar("""SELECT count(*) FROM content.film_work f WHERE NOT EXISTS (
            SELECT 1 FROM content.person_film_work p WHERE p.film_work_id = f.id AND p.role = 'director')""")
            > 0
        )
        assert scalar("SELECT count(*) FROM content.film_work WHERE description IN ('N/A', '')") > 0
        assert scalar("SELECT count(*) FROM content.person WHERE full_name = 'N/A'") > 0
        assert scalar("SELECT count(*) FROM content.film_work WHERE title ~ '[А-Яа-яЁё]'") > 0
        assert scalar("SELECT count(*) FROM content.film_work WHERE title ~ '^[A-Za-z ]+$'") > 0
        # People in many films, and in more than one role.
        assert (
            scalar("""SELECT max(n) FROM (SELECT count(DISTINCT film_work_id) n
            FROM content.person_film_work GROUP BY person_id) t""")
            >= 10
        )
        assert (
            scalar("""SELECT count(*) FROM (SELECT person_id FROM content.person_film_work
            GROUP BY person_id HAVING count(DISTINCT role) > 1) t""")
            > 0
        )
        assert (
            scalar("""SELECT min(n) FROM (SELECT count(*) n FROM content.genre_film_work
            GROUP BY film_work_id) t""")
            >= 1
        )


def _film(conn) -> uuid.UUID:
    film_id = uuid.uuid4()
    conn.execute("INSERT INTO content.film_work (id, title, type) VALUES (%s, 'A film', 'movie')", (film_id,))
    return film_id


def _person(conn) -> uuid.UUID:
    person_id = uuid.uuid4()
    conn.execute("INSERT INTO content.person (id, full_name) VALUES (%s, 'Somebody')", (person_id,))
    return person_id


@pytest.mark.parametrize(
    ("statement", "violation"),
    [
        (
            "INSERT INTO content.film_work (id, title, type, rating) "
            "VALUES (gen_random_uuid(), 'x', 'movie', 11)",
            psycopg.errors.CheckViolation,
        ),
        (
            "INSERT INTO content.film_work (id, title, type, rating) "
            "VALUES (gen_random_uuid(), 'x', 'movie', -0.1)",
            psycopg.errors.CheckViolation,
        ),
        (
            "INSERT INTO content.film_work (id, title, type) VALUES (gen_random_uuid(), 'x', 'cartoon')",
            psycopg.errors.CheckViolation,
        ),
        (
            "INSERT INTO content.film_work (id, type) VALUES (gen_random_uuid(), 'movie')",
            psycopg.errors.NotNullViolation,
        ),
        (
            "INSERT INTO content.person_film_work (id, person_id, film_work_id, role) "
            "VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'actor')",
            psycopg.errors.ForeignKeyViolation,
        ),
        (
            "INSERT INTO content.genre_film_work (id, genre_id, film_work_id) "
            "VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid())",
            psycopg.errors.ForeignKeyViolation,
        ),
    ],
    ids=[
        "rating-11",
        "rating-negative",
        "unknown-type",
        "no-title",
        "orphan-person-link",
        "orphan-genre-link",
    ],
)
def test_schema_rejects_bad_rows(schema_only, statement, violation):
    with psycopg.connect(schema_only) as conn, pytest.raises(violation):
        conn.execute(statement)


def test_schema_rejects_unknown_role_and_duplicate_links(schema_only):
    with psycopg.connect(schema_only, autocommit=True) as conn:
        film, person = _film(conn), _person(conn)
        link = (
            "INSERT INTO content.person_film_work (id, person_id, film_work_id, role) VALUES (%s, %s, %s, %s)"
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(link, (uuid.uuid4(), person, film, "producer"))
        conn.execute(link, (uuid.uuid4(), person, film, "actor"))
        conn.execute(link, (uuid.uuid4(), person, film, "director"))  # a second role is fine
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(link, (uuid.uuid4(), person, film, "actor"))

        genre = uuid.uuid4()
        conn.execute("INSERT INTO content.genre (id, name) VALUES (%s, 'Drama')", (genre,))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO content.genre (id, name) VALUES (%s, 'Drama')", (uuid.uuid4(),))
        genre_link = "INSERT INTO content.genre_film_work (id, genre_id, film_work_id) VALUES (%s, %s, %s)"
        conn.execute(genre_link, (uuid.uuid4(), genre, film))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(genre_link, (uuid.uuid4(), genre, film))


def test_deleting_a_film_or_person_cascades_to_links(schema_only):
    with psycopg.connect(schema_only, autocommit=True) as conn:
        film, person = _film(conn), _person(conn)
        conn.execute(
            "INSERT INTO content.person_film_work (id, person_id, film_work_id, role) "
            "VALUES (%s, %s, %s, 'actor')",
            (uuid.uuid4(), person, film),
        )
        conn.execute("DELETE FROM content.person WHERE id = %s", (person,))
        assert conn.execute("SELECT count(*) FROM content.person_film_work").fetchone()[0] == 0


def test_schema_script_is_idempotent(schema_only):
    with psycopg.connect(schema_only) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        indexes = {
            row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'content'")
        }
    assert {
        "film_work_modified_id_idx",
        "person_modified_id_idx",
        "genre_modified_id_idx",
        "person_film_work_person_id_idx",
        "genre_film_work_genre_id_idx",
    } <= indexes
