"""Change tracking for what has no `modified` column: links added or removed, and deleted rows.

The link tables (`genre_film_work`, `person_film_work`) carry no `modified`, and a deleted row
leaves no trace to page through. The ETL therefore installs, idempotently, statement-level
triggers that write the ids whose documents must be rechecked into `etl.journal`:

- a link inserted, updated or deleted journals both its film and its person (or genre);
- a film, person or genre deleted journals itself (its links cascade and journal the other side).

A journal row says "rebuild this document from Postgres, or delete it when the row is gone".
Rows are read by transaction id, not by sequence (a sequence hands out numbers out of commit
order, so a reader remembering "the last seq" would skip a long transaction that commits late).
A run reads the journal inside one snapshot and remembers that snapshot's `xmax` and in-progress
list `xip`: every row it could not see belongs to a transaction in `xip` or from `xmax` on, and
exactly those are read next time. A row is read once, however late its transaction commits.

`etl.journal_origin` holds a random id made when the triggers were installed. Each index stores
the origin it was synced against; a different origin (another database, a restored backup, an
index restored from the snapshot, triggers reinstalled) makes the next run resync the whole index.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from uuid import UUID

import psycopg

_INSTALL = """
CREATE SCHEMA IF NOT EXISTS etl;
CREATE TABLE IF NOT EXISTS etl.journal (
    seq bigserial PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    kind text NOT NULL CHECK (kind IN ('film', 'genre', 'person')),
    entity_id uuid NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS journal_kind_xid_idx ON etl.journal (kind, xid, seq);
CREATE INDEX IF NOT EXISTS journal_at_idx ON etl.journal (at);
CREATE TABLE IF NOT EXISTS etl.journal_origin (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    origin uuid NOT NULL,
    pruned_below xid8 NOT NULL DEFAULT '0'
);

CREATE OR REPLACE FUNCTION etl.journal_links() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    other text := TG_ARGV[0];
    other_column text := TG_ARGV[1];
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format(
            'INSERT INTO etl.journal (kind, entity_id)
             SELECT DISTINCT k, e FROM new_rows,
             LATERAL (VALUES (''film'', film_work_id), (%L, %I)) AS v(k, e)', other, other_column);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        EXECUTE format(
            'INSERT INTO etl.journal (kind, entity_id)
             SELECT DISTINCT k, e FROM old_rows,
             LATERAL (VALUES (''film'', film_work_id), (%L, %I)) AS v(k, e)', other, other_column);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION etl.journal_deletes() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO etl.journal (kind, entity_id) SELECT TG_ARGV[0], id FROM old_rows;
    RETURN NULL;
END
$fn$;
"""

# (table, trigger suffix, event, transition tables, function call)
_TRIGGERS = [
    *(
        (table, op.lower(), op, refs, f"etl.journal_links('{other}', '{column}')")
        for table, other, column in (
            ("genre_film_work", "genre", "genre_id"),
            ("person_film_work", "person", "person_id"),
        )
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ),
    *(
        (table, "delete", "DELETE", "OLD TABLE AS old_rows", f"etl.journal_deletes('{kind}')")
        for table, kind in (("film_work", "film"), ("genre", "genre"), ("person", "person"))
    ),
]


def _trigger_name(table: str, suffix: str) -> str:
    return f"etl_journal_{table}_{suffix}"


@dataclass(frozen=True)
class JournalPosition:
    """The journal's origin and a snapshot's horizon: rows of transactions from `xmax` on or in
    `xip` were not visible in it; everything else was."""

    origin: str
    xmax: int
    xip: tuple[int, ...]
    pruned_below: int


def catalogue_exists(conn: psycopg.Connection) -> bool:
    """True when the `content` tables are there (restore_postgres may not have run yet)."""
    row = conn.execute("SELECT to_regclass('content.film_work') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _installed(conn: psycopg.Connection) -> bool:
    expected = {_trigger_name(table, suffix) for table, suffix, *_ in _TRIGGERS}
    present = {
        name
        for (name,) in conn.execute(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'content'"
            " AND tgname LIKE 'etl_journal_%'"
        )
    }
    row = conn.execute(
        "SELECT to_regclass('etl.journal_origin') IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'etl' AND tablename = 'journal_origin')"
    ).fetchone()
    if not (expected <= present and row and row[0]):
        return False
    return conn.execute("SELECT count(*) FROM etl.journal_origin").fetchone() == (1,)


def ensure_installed(conn: psycopg.Connection) -> bool:
    """Install the journal and its triggers when any part is missing; True when it did.

    A (re)installation means changes may have gone unrecorded, so it draws a new origin, which
    makes every index resync once.
    """
    if _installed(conn):
        return False
    with conn.transaction():
        # Serialise concurrent installers (three DAGs may start at once on a fresh stack); the
        # one that waited finds everything in place and keeps the origin the first one drew.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('cinema_etl.journal'))")
        if _installed(conn):
            return False
        conn.execute(_INSTALL)
        for table, suffix, event, refs, call in _TRIGGERS:
            conn.execute(
                f"CREATE OR REPLACE TRIGGER {_trigger_name(table, suffix)} AFTER {event} ON content.{table}"
                f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {call}"
            )
        conn.execute(
            "INSERT INTO etl.journal_origin (origin) VALUES (gen_random_uuid())"
            " ON CONFLICT (singleton) DO UPDATE SET origin = excluded.origin"
        )
    return True


def position(conn: psycopg.Connection) -> JournalPosition:
    """The origin and the current snapshot's horizon (call inside the transaction that reads)."""
    row = conn.execute(
        "SELECT origin::text, pg_snapshot_xmax(s)::text::bigint,"
        " array(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x), pruned_below::text::bigint"
        " FROM etl.journal_origin, pg_current_snapshot() AS s"
    ).fetchone()
    if row is None:
        raise RuntimeError("etl.journal_origin is empty: call ensure_installed first")
    return JournalPosition(origin=row[0], xmax=row[1], xip=tuple(row[2]), pruned_below=row[3])


def changed_ids(
    conn: psycopg.Connection, kind: str, since: tuple[int, Sequence[int]], batch_size: int
) -> Iterator[list[UUID]]:
    """Ids of `kind` journalled by transactions a snapshot with horizon `since` = (xmax, xip) did
    not see, in pages (keyset on seq). Read them in one REPEATABLE READ transaction."""
    xmax, xip = since
    last_seq = 0
    while True:
        rows = conn.execute(
            "SELECT seq, entity_id FROM etl.journal WHERE kind = %s"
            " AND (xid >= %s::text::xid8 OR xid = ANY(%s::text[]::xid8[])) AND seq > %s"
            " ORDER BY seq LIMIT %s",
            (kind, str(xmax), [str(x) for x in xip], last_seq, batch_size),
        ).fetchall()
        if not rows:
            return
        last_seq = rows[-1][0]
        yield list(dict.fromkeys(entity_id for _, entity_id in rows))
        if len(rows) < batch_size:
            return


def prune(conn: psycopg.Connection, retention_seconds: int) -> int:
    """Delete journal rows older than the retention; an index whose position is older resyncs."""
    with conn.transaction():
        row = conn.execute(
            "SELECT max(xid)::text::bigint FROM etl.journal WHERE at < now() - make_interval(secs => %s)",
            (retention_seconds,),
        ).fetchone()
        if row is None or row[0] is None:
            return 0
        horizon = row[0] + 1
        deleted = conn.execute("DELETE FROM etl.journal WHERE xid < %s::text::xid8", (str(horizon),)).rowcount
        conn.execute(
            "UPDATE etl.journal_origin SET pruned_below = greatest(pruned_below, %s::text::xid8)",
            (str(horizon),),
        )
    return deleted
