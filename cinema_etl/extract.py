"""Reads from the catalogue: keyset pages of ids and the rows a document is built from.

Every read is bounded: pages of `batch_size` ids in primary-key order, never OFFSET, so memory
stays flat however large the catalogue grows. Nothing here trusts `modified`: what changed is
known from the journal (`cinema_etl.journal`), which sees every committed statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import psycopg

SOURCE_TABLES = ("film_work", "genre", "person")

# Which film ids or person ids a changed row of another table touches.
_LINKED_IDS = {
    ("person", "film_work"): ("person_film_work", "person_id", "film_work_id"),
    ("genre", "film_work"): ("genre_film_work", "genre_id", "film_work_id"),
    ("film_work", "person"): ("person_film_work", "film_work_id", "person_id"),
}


def connect(dsn: str) -> psycopg.Connection:
    """A connection set up the way the ETL expects (autocommit, UTC)."""
    conn = psycopg.connect(dsn, autocommit=True)
    prepare(conn)
    return conn


def prepare(conn: psycopg.Connection) -> None:
    """Autocommit (every page sees what committed before it), UTC (stable date strings), and
    index lookups priced as cheap as they are for a catalogue in memory or on SSD.

    With the default random_page_cost (4, tuned for spinning disks) Postgres joins a page of
    1,000 films to `person` by hashing the whole table; priced at 1.1 it walks the primary key,
    which reads a page about three times faster (and the more so the larger the catalogue).
    """
    conn.autocommit = True
    conn.execute("SET TIME ZONE 'UTC'")
    conn.execute("SET random_page_cost = 1.1")


def id_pages(conn: psycopg.Connection, table: str, after: UUID, batch_size: int) -> Iterator[list[UUID]]:
    """Ids of every `table` row after `after`, in keyset pages by primary key (a whole-table pass)."""
    if table not in SOURCE_TABLES:
        raise ValueError(f"unknown source table {table!r}")
    query = f"SELECT id FROM content.{table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608 - table is from SOURCE_TABLES
    return _keyset_pages(conn, query, (), after, batch_size)


def linked_ids(
    conn: psycopg.Connection, source: str, target: str, ids: Sequence[UUID], batch_size: int
) -> Iterator[list[UUID]]:
    """Ids of `target` rows linked to the `source` rows `ids`, in pages (keyset on the id)."""
    link_table, source_column, target_column = _LINKED_IDS[(source, target)]
    query = (
        f"SELECT DISTINCT {target_column} FROM content.{link_table}"  # noqa: S608 - fixed names
        f" WHERE {source_column} = ANY(%s) AND {target_column} > %s ORDER BY {target_column} LIMIT %s"
    )
    return _keyset_pages(conn, query, (list(ids),), UUID(int=0), batch_size)


def _keyset_pages(
    conn: psycopg.Connection, query: str, params: tuple[Any, ...], after: UUID, batch_size: int
) -> Iterator[list[UUID]]:
    """The ids `query` selects, in pages: it takes `params`, then the last id seen and the page
    size, and returns ids above that one in order."""
    last = after
    while True:
        page = [row[0] for row in conn.execute(query, (*params, last, batch_size)).fetchall()]
        if not page:
            return
        yield page
        last = page[-1]
        if len(page) < batch_size:
            return


def film_rows(conn: psycopg.Connection, ids: Sequence[UUID]) -> list[tuple[Any, ...]]:
    """(id, title, description, rating, creation_date, type, modified, genres, people) per film.

    Three set-based reads (films, their genres, their people) grouped here: cheaper for Postgres
    than aggregating per film, and ids stay text (no UUID objects to build and format again).
    """
    ids = list(ids)
    films = conn.execute(
        "SELECT id::text, title, description, rating, creation_date, type, modified"
        " FROM content.film_work WHERE id = ANY(%s)",
        (ids,),
    ).fetchall()
    genres: dict[str, list[dict[str, str]]] = defaultdict(list)
    for film_id, genre_id, name in conn.execute(
        "SELECT l.film_work_id::text, g.id::text, g.name FROM content.genre_film_work l"
        " JOIN content.genre g ON g.id = l.genre_id WHERE l.film_work_id = ANY(%s)",
        (ids,),
    ):
        genres[film_id].append({"id": genre_id, "name": name})
    people: dict[str, list[dict[str, str]]] = defaultdict(list)
    for film_id, person_id, name, role in conn.execute(
        "SELECT l.film_work_id::text, p.id::text, p.full_name, l.role FROM content.person_film_work l"
        " JOIN content.person p ON p.id = l.person_id WHERE l.film_work_id = ANY(%s)",
        (ids,),
    ):
        people[film_id].append({"id": person_id, "name": name, "role": role})
    return [(*film, genres[film[0]], people[film[0]]) for film in films]


def genre_rows(conn: psycopg.Connection, ids: Sequence[UUID]) -> list[tuple[Any, ...]]:
    """(id, name, description, film_count, modified) per genre."""
    return conn.execute(
        """
        SELECT g.id, g.name, g.description,
            (SELECT count(*) FROM content.genre_film_work gfw WHERE gfw.genre_id = g.id), g.modified
        FROM content.genre g WHERE g.id = ANY(%s)
        """,
        (list(ids),),
    ).fetchall()


def person_link_counts(conn: psycopg.Connection, ids: Sequence[UUID]) -> dict[UUID, int]:
    """How many film links each of the people `ids` has (those with none are left out)."""
    rows = conn.execute(
        "SELECT person_id, count(*) FROM content.person_film_work"
        " WHERE person_id = ANY(%s) GROUP BY person_id",
        (list(ids),),
    ).fetchall()
    return {person_id: count for person_id, count in rows}


def person_rows(conn: psycopg.Connection, ids: Sequence[UUID]) -> list[tuple[Any, ...]]:
    """(id, full_name, modified, films) per person; films are {id, title, rating, roles}."""
    ids = list(ids)
    persons = conn.execute(
        "SELECT id::text, full_name, modified FROM content.person WHERE id = ANY(%s)", (ids,)
    ).fetchall()
    films: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for person_id, film_id, title, rating, role in conn.execute(
        "SELECT l.person_id::text, fw.id::text, fw.title, fw.rating, l.role FROM content.person_film_work l"
        " JOIN content.film_work fw ON fw.id = l.film_work_id WHERE l.person_id = ANY(%s)",
        (ids,),
    ):
        entry = films[person_id].setdefault(
            film_id, {"id": film_id, "title": title, "rating": rating, "roles": []}
        )
        entry["roles"].append(role)
    return [(*person, list(films[person[0]].values())) for person in persons]
