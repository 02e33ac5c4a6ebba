"""Change tracking: every committed change of the catalogue, however it was written.

Postgres does not make anyone bump `modified`, and an UPDATE, COPY, multi-row statement or
TRUNCATE that does not is as committed as one that does. The ETL therefore trusts no column: it
installs, idempotently, statement-level triggers on all five catalogue tables that write into
`etl.journal` the ids whose documents must be rebuilt from Postgres (or deleted when the row is
gone). Two families of kinds:

- `film_row`, `genre_row`, `person_row`: the row itself was inserted, updated or deleted. Its own
  document is rebuilt, and so are the documents that show it (a renamed genre rebuilds its films,
  a retitled film the people who worked on it), found through the links when the journal is read;
- `film`, `genre`, `person`: a link of this film, genre or person was added, changed or removed
  (both ends are journalled), so only its own document changes.

TRUNCATE cannot be seen by row triggers, so a BEFORE TRUNCATE trigger journals every row the
table still holds, as a delete would (TRUNCATE ... CASCADE fires it on each table it empties).
Every statement also sends `NOTIFY` on `CHANNEL` (delivered at commit), which the Airflow
triggerer listens to (see `cinema_etl.notify`).

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
from datetime import datetime
from uuid import UUID

import psycopg

# The channel the triggers notify; the payload is the table that changed.
CHANNEL = "cinema_etl_journal"
# The kind journalled for a changed row of each catalogue table.
ROW_KINDS = {"film_work": "film_row", "genre": "genre_row", "person": "person_row"}
KINDS = ("film", "genre", "person", *ROW_KINDS.values())
_KIND_LIST = ", ".join(f"'{kind}'" for kind in KINDS)

_INSTALL = f"""
CREATE SCHEMA IF NOT EXISTS etl;
CREATE TABLE IF NOT EXISTS etl.journal (
    seq bigserial PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    kind text NOT NULL,
    entity_id uuid NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE etl.journal DROP CONSTRAINT IF EXISTS journal_kind_check;
ALTER TABLE etl.journal ADD CONSTRAINT journal_kind_check CHECK (kind IN ({_KIND_LIST}));
CREATE INDEX IF NOT EXISTS journal_kind_xid_idx ON etl.journal (kind, xid, seq);
CREATE INDEX IF NOT EXISTS journal_at_idx ON etl.journal (at);
CREATE TABLE IF NOT EXISTS etl.journal_origin (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    origin uuid NOT NULL,
    pruned_below xid8 NOT NULL DEFAULT '0'
);

-- A link table's statement: both ends of every link touched (TRUNCATE: of every link there is).
CREATE OR REPLACE FUNCTION etl.journal_links() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    other text := TG_ARGV[0];
    other_column text := TG_ARGV[1];
    sources text[] := CASE TG_OP
        WHEN 'INSERT' THEN ARRAY['new_rows']
        WHEN 'DELETE' THEN ARRAY['old_rows']
        WHEN 'UPDATE' THEN ARRAY['old_rows', 'new_rows']
        ELSE ARRAY[format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME)]
    END;
    source text;
BEGIN
    FOREACH source IN ARRAY sources LOOP
        EXECUTE format(
            'INSERT INTO etl.journal (kind, entity_id)
             SELECT DISTINCT k, e FROM %s,
             LATERAL (VALUES (''film'', film_work_id), (%L, %I)) AS v(k, e)', source, other, other_column);
    END LOOP;
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END
$fn$;

-- A film, genre or person statement: every row inserted, updated (old and new id), deleted or truncated.
CREATE OR REPLACE FUNCTION etl.journal_rows() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO etl.journal (kind, entity_id) SELECT kind, id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO etl.journal (kind, entity_id)
        SELECT kind, id FROM new_rows UNION SELECT kind, id FROM old_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO etl.journal (kind, entity_id) SELECT kind, id FROM old_rows;
    ELSE
        EXECUTE format('INSERT INTO etl.journal (kind, entity_id) SELECT %L, id FROM %I.%I',
                       kind, TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END
$fn$;
"""  # noqa: S608 - built from this module's constants only

_TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
_CALLS = {
    "genre_film_work": "etl.journal_links('genre', 'genre_id')",
    "person_film_work": "etl.journal_links('person', 'person_id')",
    **{table: f"etl.journal_rows('{kind}')" for table, kind in ROW_KINDS.items()},
}
# (table, trigger suffix, timing and event, transition tables, function call)
_TRIGGERS = [
    *(
        (table, op.lower(), f"AFTER {op}", refs, call)
        for table, call in _CALLS.items()
        for op, refs in _TRANSITIONS.items()
    ),
    *((table, "truncate", "BEFORE TRUNCATE", "", call) for table, call in _CALLS.items()),
]
# Installed by earlier versions and no longer used.
_OBSOLETE = "DROP FUNCTION IF EXISTS etl.journal_deletes()"
# Kept as the comment of `etl.journal_rows`: a different one (an older install) means reinstall.
VERSION = "cinema_etl journal 2"


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
    version = conn.execute(
        "SELECT obj_description(to_regprocedure('etl.journal_rows()'), 'pg_proc')"
    ).fetchone()
    if version is None or version[0] != VERSION:
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
                f"CREATE OR REPLACE TRIGGER {_trigger_name(table, suffix)} {event} ON content.{table}"
                f" {refs} FOR EACH STATEMENT EXECUTE FUNCTION {call}"
            )
        conn.execute(_OBSOLETE)
        conn.execute(f"COMMENT ON FUNCTION etl.journal_rows() IS '{VERSION}'")
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


@dataclass(frozen=True)
class Backlog:
    """Committed journal rows a position has not read yet, and the age of the oldest."""

    rows: int
    oldest: datetime | None
    oldest_age_seconds: float | None


def backlog(conn: psycopg.Connection, kinds: Sequence[str], since: tuple[int, Sequence[int]]) -> Backlog:
    """What a reader at horizon `since` = (xmax, xip) has still to read of `kinds`: the lag."""
    xmax, xip = since
    row = conn.execute(
        "SELECT count(*), min(at), extract(epoch FROM clock_timestamp() - min(at))::float8"
        " FROM etl.journal WHERE kind = ANY(%s)"
        " AND (xid >= %s::text::xid8 OR xid = ANY(%s::text[]::xid8[]))",
        (list(kinds), str(xmax), [str(x) for x in xip]),
    ).fetchone()
    assert row is not None
    return Backlog(rows=row[0], oldest=row[1], oldest_age_seconds=row[2])


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
