"""Property: whatever plain SQL commits, the three indices end equal to Postgres.

Each round commits a seeded random mix of changes (23 kinds, written the way people and tools
write SQL: UPDATE without `modified`, `modified` moved backwards, multi-row statements, COPY,
TRUNCATE, ids moved between links, placeholders), then runs the ETL. Some rounds run it in a
child process killed with SIGKILL at a random moment, then rerun it; some keep a transaction
open across the run and commit it afterwards. Then every document of the three indices is
compared with the reference `etl_expected` builds from Postgres with its own SQL (never with
the ETL's code).

Reproducible: the seed is printed at the start and in every failure, and
`SYNC_PROPERTY_SEED=<seed>` replays the same changes and kill delays (where a kill lands still
depends on timing). `SYNC_PROPERTY_ROUNDS` sets the number of rounds (default 40).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from etl_expected import assert_indices_match

from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load

ROOT = Path(__file__).resolve().parents[2]

ROUNDS = int(os.environ.get("SYNC_PROPERTY_ROUNDS", "40"))
FILMS = 150
# Small pages make a run long enough (many batches and state writes) for kills to land inside it.
CHILD_BATCH_SIZE = 10

CHILD = """
import sys
import redis
from elasticsearch import Elasticsearch
import es_mappings
from cinema_etl import extract, pipeline

dsn, es_url, redis_url, prefix, batch_size = sys.argv[1:]
es = Elasticsearch(es_url, request_timeout=60)
cache = redis.Redis.from_url(redis_url)
print("started", flush=True)
with extract.connect(dsn) as conn:
    for index in es_mappings.INDICES:
        pipeline.IndexRun(conn, es, cache, index, prefix, int(batch_size)).run()
print("finished", flush=True)
"""


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def token(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}"


def pick(cur: psycopg.Cursor, rng: random.Random, table: str, where: str = "TRUE") -> str | None:
    """A random id of `table` (seeded: rows in id order, the offset from `rng`), None when empty."""
    count = cur.execute(f"SELECT count(*) FROM content.{table} WHERE {where}").fetchone()[0]
    if not count:
        return None
    offset = rng.randrange(count)
    row = cur.execute(
        f"SELECT id::text FROM content.{table} WHERE {where} ORDER BY id OFFSET %s LIMIT 1",
        (offset,),
    ).fetchone()
    return row[0]


# Each change: (cursor, rng) -> None, plain SQL only; one that finds nothing to change does nothing.
Change = Callable[[psycopg.Cursor, random.Random], None]


def retitle_film_without_modified(cur: psycopg.Cursor, rng: random.Random) -> None:
    if film := pick(cur, rng, "film_work"):
        cur.execute("UPDATE content.film_work SET title = %s WHERE id = %s", (f"Retitled {token(rng)}", film))


def rerate_films_in_one_statement(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute(
        "UPDATE content.film_work SET rating = (abs(hashtext(id::text || %s)) %% 101) / 10.0"
        " WHERE id IN (SELECT id FROM content.film_work ORDER BY md5(id::text || %s) LIMIT 7)",
        (token(rng), token(rng)),
    )


def edit_film_bumping_modified(cur: psycopg.Cursor, rng: random.Random) -> None:
    if film := pick(cur, rng, "film_work"):
        cur.execute(
            "UPDATE content.film_work SET description = %s, modified = now() WHERE id = %s",
            (f"Edited {token(rng)}", film),
        )


def move_modified_backwards(cur: psycopg.Cursor, rng: random.Random) -> None:
    if film := pick(cur, rng, "film_work"):
        cur.execute(
            "UPDATE content.film_work SET title = %s, modified = '2001-01-01' WHERE id = %s",
            (f"Backdated {token(rng)}", film),
        )


def placeholder_title(cur: psycopg.Cursor, rng: random.Random) -> None:
    if film := pick(cur, rng, "film_work"):
        cur.execute("UPDATE content.film_work SET title = %s WHERE id = %s", (rng.choice(["N/A", ""]), film))


def rename_every_genre_without_modified(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute("UPDATE content.genre SET name = left(name, 40) || ' ' || %s", (token(rng),))


def rename_person_without_modified(cur: psycopg.Cursor, rng: random.Random) -> None:
    if person := pick(cur, rng, "person"):
        name = rng.choice([f"Renamed {token(rng)}", "N/A"])
        cur.execute("UPDATE content.person SET full_name = %s WHERE id = %s", (name, person))


def insert_films_in_one_statement(cur: psycopg.Cursor, rng: random.Random) -> None:
    films = [new_id(rng) for _ in range(3)]
    cur.execute(
        "INSERT INTO content.film_work (id, title, rating, type) VALUES"
        " (%s, %s, 7.1, 'movie'), (%s, %s, NULL, 'tv_show'), (%s, %s, 3.3, 'movie')",
        [value for film in films for value in (film, f"New {token(rng)}")],
    )
    genre, person = pick(cur, rng, "genre"), pick(cur, rng, "person")
    if genre:
        cur.execute(
            "INSERT INTO content.genre_film_work (id, genre_id, film_work_id)"
            " SELECT gen_random_uuid(), %s, f FROM unnest(%s::uuid[]) AS f",
            (genre, films),
        )
    if person:
        cur.execute(
            "INSERT INTO content.person_film_work (id, person_id, film_work_id, role)"
            " SELECT gen_random_uuid(), %s, f, 'director' FROM unnest(%s::uuid[]) AS f",
            (person, films),
        )


def copy_films_with_old_modified(cur: psycopg.Cursor, rng: random.Random) -> None:
    films = [new_id(rng) for _ in range(4)]
    with cur.copy(
        "COPY content.film_work (id, title, description, rating, type, created, modified) FROM STDIN"
    ) as copy:
        for film in films:
            copy.write_row((film, f"Copied {token(rng)}", "N/A", 6.0, "movie", "1990-01-01", "1990-01-01"))
    person = pick(cur, rng, "person")
    if person:
        with cur.copy("COPY content.person_film_work (id, person_id, film_work_id, role) FROM STDIN") as copy:
            for film in films:
                copy.write_row((new_id(rng), person, film, "actor"))


def delete_film(cur: psycopg.Cursor, rng: random.Random) -> None:
    if film := pick(cur, rng, "film_work"):
        cur.execute("DELETE FROM content.film_work WHERE id = %s", (film,))


def delete_person(cur: psycopg.Cursor, rng: random.Random) -> None:
    if person := pick(cur, rng, "person"):
        cur.execute("DELETE FROM content.person WHERE id = %s", (person,))


def delete_genre(cur: psycopg.Cursor, rng: random.Random) -> None:
    if genre := pick(cur, rng, "genre"):
        cur.execute("DELETE FROM content.genre WHERE id = %s", (genre,))


def insert_genre(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute(
        "INSERT INTO content.genre (id, name, description) VALUES (%s, %s, %s)",
        (new_id(rng), f"Genre {token(rng)}", rng.choice([None, "N/A", "A new genre"])),
    )


def link_genre(cur: psycopg.Cursor, rng: random.Random) -> None:
    film, genre = pick(cur, rng, "film_work"), pick(cur, rng, "genre")
    if film and genre:
        cur.execute(
            "INSERT INTO content.genre_film_work (id, genre_id, film_work_id) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (new_id(rng), genre, film),
        )


def unlink_genres(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute(
        "DELETE FROM content.genre_film_work WHERE id IN"
        " (SELECT id FROM content.genre_film_work ORDER BY md5(id::text || %s) LIMIT 3)",
        (token(rng),),
    )


def move_genre_link_to_another_film(cur: psycopg.Cursor, rng: random.Random) -> None:
    link, film = pick(cur, rng, "genre_film_work"), pick(cur, rng, "film_work")
    if link and film:
        cur.execute(
            "UPDATE content.genre_film_work l SET film_work_id = %s WHERE id = %s AND NOT EXISTS"
            " (SELECT 1 FROM content.genre_film_work o"
            " WHERE o.film_work_id = %s AND o.genre_id = l.genre_id)",
            (film, link, film),
        )


def change_role(cur: psycopg.Cursor, rng: random.Random) -> None:
    if link := pick(cur, rng, "person_film_work"):
        role = rng.choice(["actor", "writer", "director"])
        cur.execute(
            "UPDATE content.person_film_work l SET role = %s WHERE id = %s AND NOT EXISTS"
            " (SELECT 1 FROM content.person_film_work o WHERE o.film_work_id = l.film_work_id"
            " AND o.person_id = l.person_id AND o.role = %s)",
            (role, link, role),
        )


def move_person_link_to_another_person(cur: psycopg.Cursor, rng: random.Random) -> None:
    link, person = pick(cur, rng, "person_film_work"), pick(cur, rng, "person")
    if link and person:
        cur.execute(
            "UPDATE content.person_film_work l SET person_id = %s WHERE id = %s AND NOT EXISTS"
            " (SELECT 1 FROM content.person_film_work o WHERE o.film_work_id = l.film_work_id"
            " AND o.person_id = %s AND o.role = l.role)",
            (person, link, person),
        )


def insert_person_with_links(cur: psycopg.Cursor, rng: random.Random) -> None:
    person = new_id(rng)
    cur.execute(
        "INSERT INTO content.person (id, full_name) VALUES (%s, %s)", (person, f"Person {token(rng)}")
    )
    for role in rng.sample(["actor", "writer", "director"], rng.randint(0, 3)):
        if film := pick(cur, rng, "film_work"):
            cur.execute(
                "INSERT INTO content.person_film_work (id, person_id, film_work_id, role)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (new_id(rng), person, film, role),
            )


def delete_and_reinsert_film(cur: psycopg.Cursor, rng: random.Random) -> None:
    """Same id, new row, links gone: the document must lose them."""
    if film := pick(cur, rng, "film_work"):
        cur.execute("DELETE FROM content.film_work WHERE id = %s", (film,))
        cur.execute(
            "INSERT INTO content.film_work (id, title, type, modified)"
            " VALUES (%s, %s, 'movie', '1999-01-01')",
            (film, f"Reborn {token(rng)}"),
        )


def truncate_genre_links(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute("TRUNCATE content.genre_film_work")


def truncate_person_links(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute("TRUNCATE content.person_film_work")


def truncate_genres_cascading_to_links(cur: psycopg.Cursor, rng: random.Random) -> None:
    cur.execute("TRUNCATE content.genre CASCADE")
    for _ in range(3):
        insert_genre(cur, rng)


# (change, weight): the truncations are rare, or the catalogue would stay empty of links.
CHANGES: list[tuple[Change, int]] = [
    (retitle_film_without_modified, 6),
    (rerate_films_in_one_statement, 4),
    (edit_film_bumping_modified, 4),
    (move_modified_backwards, 3),
    (placeholder_title, 2),
    (rename_every_genre_without_modified, 2),
    (rename_person_without_modified, 5),
    (insert_films_in_one_statement, 4),
    (copy_films_with_old_modified, 3),
    (delete_film, 3),
    (delete_person, 3),
    (delete_genre, 1),
    (insert_genre, 2),
    (link_genre, 6),
    (unlink_genres, 3),
    (move_genre_link_to_another_film, 3),
    (change_role, 4),
    (move_person_link_to_another_person, 4),
    (insert_person_with_links, 4),
    (delete_and_reinsert_film, 2),
    (truncate_genre_links, 1),
    (truncate_person_links, 1),
    (truncate_genres_cascading_to_links, 1),
]
# A transaction held open across a run must not block the ETL: no TRUNCATE (an exclusive lock).
OPEN_CHANGES = [(c, w) for c, w in CHANGES if not c.__name__.startswith("truncate")]


def choose(rng: random.Random, changes: list[tuple[Change, int]]) -> Change:
    return rng.choices([c for c, _ in changes], weights=[w for _, w in changes])[0]


@dataclass
class Round:
    """What one round did, for the failure message."""

    number: int
    mode: str
    changes: list[str] = field(default_factory=list)
    kill: str = ""

    def __str__(self) -> str:
        return f"round {self.number} ({self.mode}{self.kill}): " + ", ".join(self.changes)


def apply_changes(conn: psycopg.Connection, rng: random.Random, done: Round) -> None:
    """One to four transactions of one to three changes each."""
    for _ in range(rng.randint(1, 4)):
        with conn.transaction(), conn.cursor() as cur:
            for _ in range(rng.randint(1, 3)):
                change = choose(rng, CHANGES)
                change(cur, rng)
                done.changes.append(change.__name__)


def killed_run(target, stack, rng: random.Random) -> str:
    """The ETL in a child process, SIGKILLed a random delay after it started its run (the
    imports take longer than a small run); says whether the kill came first."""
    delay = rng.uniform(0.0, 1.2)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, target.dsn, stack.es_url, stack.redis_url(14), target.prefix,
         str(CHILD_BATCH_SIZE)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    if child.stdout.readline().strip() != "started":
        child.wait(timeout=60)
        raise AssertionError(f"the ETL child did not start: {child.stderr.read() if child.stderr else ''}")
    time.sleep(delay)
    finished = child.poll() is not None
    if not finished:
        child.send_signal(signal.SIGKILL)
    _, err = child.communicate(timeout=60)
    if finished:
        assert child.returncode == 0, err[-3000:]
        return f", not killed: the run finished within {delay:.2f} s"
    return f", SIGKILL {delay:.2f} s into the run"


@pytest.fixture
def seed() -> int:
    value = int(os.environ.get("SYNC_PROPERTY_SEED") or random.SystemRandom().randrange(2**32))
    print(f"sync property seed: {value} (replay with SYNC_PROPERTY_SEED={value})")
    return value


def test_every_committed_change_reaches_the_indices(scratch_database, target_for, stack, seed):
    rng = random.Random(seed)
    dsn = scratch_database()
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        load(conn, seed=seed % 1000, size=CatalogueSize(films=FILMS))
    target = target_for(dsn)
    history: list[Round] = []

    def check(done: Round) -> None:
        history.append(done)
        try:
            assert_indices_match(target)
        except AssertionError as error:
            recent = "\n".join(str(r) for r in history[-3:])
            raise AssertionError(f"seed {seed}, after\n{recent}\n{error}") from None

    first = Round(0, "first load")
    if rng.random() < 0.5:
        first.kill = killed_run(target, stack, rng)
    target.run_all()
    check(first)

    modes = ["plain", "plain", "kill", "open"]
    with psycopg.connect(dsn) as conn:
        for number in range(1, ROUNDS + 1):
            done = Round(number, rng.choice(modes))
            apply_changes(conn, rng, done)
            if done.mode == "open":
                with psycopg.connect(dsn) as held, held.cursor() as cur:
                    change = choose(rng, OPEN_CHANGES)
                    change(cur, rng)
                    done.changes.append(f"{change.__name__} (held open across a run)")
                    target.run_all()
                    held.commit()
            elif done.mode == "kill":
                done.kill = killed_run(target, stack, rng)
            target.run_all()
            check(done)
    print(f"sync property seed {seed}: {ROUNDS} rounds, indices equal to Postgres after each")
    print("\n".join(str(r) for r in history))
