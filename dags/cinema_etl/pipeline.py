"""One incremental run of one index: what changed in Postgres goes to Elasticsearch.

A run walks three kinds of change, each from its own position kept in the index (`state`):

1. the index's own table by (modified, id): new and edited films / genres / persons;
2. the tables its documents embed, by (modified, id): a renamed person or genre rebuilds the films
   that show it; a retitled film rebuilds the person documents that list it;
3. the journal (`journal`): links added or removed, rows deleted.

Every changed id is rebuilt from Postgres as a whole document (or deleted when its row is gone),
upserted by id, and the position advances only after Elasticsearch acknowledged the batch. An
index without state, or synced against another database, is resynced: everything is upserted
again (documents equal to the stored ones are skipped) and documents without a row are swept out.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import psycopg
import redis
from elasticsearch import Elasticsearch

import es_mappings
from cinema_etl import extract, journal, load, state, transform

log = logging.getLogger(__name__)
T = TypeVar("T")
# The state is rewritten at most this often while a long phase runs (and always at its end): a
# mapping update is a cluster-state change, too slow to make after every batch of a full load.
STATE_INTERVAL_SECONDS = 5.0
MAX_XIP = 1000
# The most film links one build of person documents reads (see `_by_filmography`).
LINKS_PER_BUILD = 10_000

Documents = list[tuple[str, dict[str, Any] | None]]


def _films(conn: psycopg.Connection, ids: Sequence[UUID]) -> Documents:
    built = {str(row[0]): transform.film_document(*row) for row in extract.film_rows(conn, ids)}
    return [(str(i), built.get(str(i))) for i in ids]


def _genres(conn: psycopg.Connection, ids: Sequence[UUID]) -> Documents:
    built = {str(row[0]): transform.genre_document(*row) for row in extract.genre_rows(conn, ids)}
    return [(str(i), built.get(str(i))) for i in ids]


def _persons(conn: psycopg.Connection, ids: Sequence[UUID]) -> Documents:
    built = {str(row[0]): transform.person_document(*row) for row in extract.person_rows(conn, ids)}
    return [(str(i), built.get(str(i))) for i in ids]


def _whole(conn: psycopg.Connection, ids: Sequence[UUID]) -> list[Sequence[UUID]]:
    return [ids]


def _by_filmography(conn: psycopg.Connection, ids: Sequence[UUID]) -> list[Sequence[UUID]]:
    """`ids` in consecutive groups of at most LINKS_PER_BUILD film links (a person alone may exceed it).

    A film document is bounded by its cast, but a person document lists every film of the
    person, and the most prolific people's filmographies grow with the catalogue: a page of
    1,000 people holds 35,000 film links at 100,000 films and several times that at 1,000,000.
    Building pages by links rather than people keeps the ETL's memory flat.
    """
    counts = extract.person_link_counts(conn, ids)
    groups: list[Sequence[UUID]] = []
    group: list[UUID] = []
    links = 0
    for person_id in ids:
        n = counts.get(person_id, 0) + 1
        if group and links + n > LINKS_PER_BUILD:
            groups.append(group)
            group, links = [], 0
        group.append(person_id)
        links += n
    if group:
        groups.append(group)
    return groups


@dataclass(frozen=True)
class IndexSpec:
    """How an index is fed: its own table, the tables its documents embed, its journal kind."""

    name: str
    table: str
    journal_kind: str
    related: tuple[str, ...]
    build: Callable[[psycopg.Connection, Sequence[UUID]], Documents]
    # Splits a page of ids into groups small enough to build at once.
    split: Callable[[psycopg.Connection, Sequence[UUID]], list[Sequence[UUID]]] = _whole


SPECS = {
    es_mappings.MOVIES: IndexSpec(es_mappings.MOVIES, "film_work", "film", ("person", "genre"), _films),
    es_mappings.GENRES: IndexSpec(es_mappings.GENRES, "genre", "genre", (), _genres),
    es_mappings.PERSONS: IndexSpec(
        es_mappings.PERSONS, "person", "person", ("film_work",), _persons, _by_filmography
    ),
}


@dataclass
class RunReport:
    """What a run did; logged by the DAG task and returned to tests and the benchmark."""

    index: str
    created: bool = False
    resynced: bool = False
    rows_read: dict[str, int] = field(default_factory=dict)
    counts: load.WriteCounts = field(default_factory=load.WriteCounts)
    generation: int | None = None

    @property
    def changed(self) -> bool:
        return self.counts.changed > 0

    def summary(self) -> str:
        read = ", ".join(f"{table} {n}" for table, n in self.rows_read.items() if n) or "nothing"
        return (
            f"{self.index}: read {read}; written {self.counts.written}, deleted {self.counts.deleted},"
            f" unchanged {self.counts.unchanged}"
            + (" (index created)" if self.created else "")
            + (" (resynced)" if self.resynced else "")
            + (f"; generation now {self.generation}" if self.generation is not None else "")
        )


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield from `items`, produced in a background thread up to `depth` ahead.

    The full load spends its time partly in Postgres (extract, transform) and partly in
    Elasticsearch (bulk); overlapping the two shortens it. The producer owns the Postgres
    connection while this runs; the consumer only talks to Elasticsearch.
    """
    buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(("item", item), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(("end", None))
        except BaseException as error:  # handed to the consumer, which re-raises it
            buffer.put(("error", error))

    producer = threading.Thread(target=produce, name="cinema-etl-extract", daemon=True)
    producer.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        producer.join(timeout=60)


class CrashForTest(RuntimeError):
    """Raised by the `fail_after_extract` hook that the crash-safety test uses."""


def _initial_state(
    conn: psycopg.Connection, spec: IndexSpec, position: journal.JournalPosition
) -> state.IndexState:
    # The first pass over the own table builds every document from current data, so the embedded
    # tables only need watching from their current end on, and the journal from now on.
    return state.IndexState(
        origin=position.origin,
        journal_xmax=position.xmax,
        journal_xip=list(position.xip),
        watermarks={
            spec.table: state.Watermark(),
            **{table: extract.max_watermark(conn, table) for table in spec.related},
        },
    )


def run_index(
    conn: psycopg.Connection,
    es: Elasticsearch,
    cache: redis.Redis | None,
    name: str,
    prefix: str = "",
    batch_size: int = 1000,
    fail_after_extract: bool = False,
    journal_retention_seconds: int = 7 * 24 * 3600,
) -> RunReport:
    """Bring index `name` (with `prefix`) to Postgres's current state; see the module docstring.

    `conn` must be an autocommit connection (see `extract.prepare`). `cache` receives the
    generation bump; None skips it (benchmarks). `fail_after_extract` makes the run raise after
    building its first batch and before loading it (crash-safety test).
    """
    spec = SPECS[name]
    index = es_mappings.index_name(name, prefix)
    report = RunReport(index=index)
    journal.ensure_installed(conn)
    position = journal.position(conn)
    bound = extract.safe_bound(conn)

    written_meta: dict[str, Any] = {}

    last_save = time.monotonic()

    def save(throttled: bool = False) -> None:
        # Positions may lag the index (batches are then redone), never lead it; an unchanged
        # state is not written again.
        nonlocal written_meta, last_save
        if throttled and time.monotonic() - last_save < STATE_INTERVAL_SECONDS:
            return
        meta = current.to_meta()
        if meta != written_meta:
            state.write(es, index, current)
            written_meta = meta
        last_save = time.monotonic()

    current: state.IndexState | None = None
    if not load.index_exists(es, index):
        current = _initial_state(conn, spec, position)
        current.fresh = True
        report.created = load.create_index(es, name, index, {state.META_KEY: current.to_meta()}, loading=True)
        written_meta = current.to_meta()
        if not report.created:
            current = None
    if current is None:
        current = state.read(es, index)
        if (
            current is None
            or current.origin != position.origin
            or current.journal_xmax < position.pruned_below
        ):
            log.info("%s: no usable state (restored, foreign or too old): resyncing the whole index", index)
            current = _initial_state(conn, spec, position)
            current.sweep_pending = True
            report.resynced = True
            save()
        else:
            written_meta = current.to_meta()

    def load_documents(documents: Documents) -> None:
        if fail_after_extract:
            raise CrashForTest(f"{index}: stopping after extracting {len(documents)} documents")
        counts = load.write(es, index, documents, plain_index=current.fresh, chunk_size=batch_size)
        report.counts.add(counts)
        if counts.changed:
            current.bump_pending = True

    def load_ids(ids: Sequence[UUID] | Sequence[str]) -> None:
        for group in spec.split(conn, [UUID(str(i)) for i in ids]):
            load_documents(spec.build(conn, group))

    def count(table: str, n: int) -> None:
        report.rows_read[table] = report.rows_read.get(table, 0) + n

    try:
        # 1. The index's own table: extracting the next pages overlaps loading this one.
        def own_pages() -> Iterator[tuple[int, Documents, state.Watermark | None]]:
            pages = extract.changed_pages(conn, spec.table, current.watermark(spec.table), bound, batch_size)
            for ids, mark in pages:
                groups = spec.split(conn, ids)
                for number, group in enumerate(groups, start=1):
                    # The page's position is reached once its last group is loaded.
                    yield len(group), spec.build(conn, group), mark if number == len(groups) else None

        for n, documents, mark in prefetched(own_pages()):
            count(spec.table, n)
            load_documents(documents)
            if mark is not None:
                current.watermarks[spec.table] = mark
                save(throttled=True)
        if current.fresh:
            load.finish_loading(es, name, index)
            current.fresh = False
            save()

        # 2. Tables the documents embed: rebuild the documents that show a changed row.
        target = spec.table
        for table in spec.related:
            for ids, mark in extract.changed_pages(conn, table, current.watermark(table), bound, batch_size):
                count(table, len(ids))
                for linked in extract.linked_ids(conn, table, target, ids, batch_size):
                    count(f"{target} linked", len(linked))
                    load_ids(linked)
                current.watermarks[table] = mark
                save(throttled=True)

        # 3. The journal: links added or removed, rows deleted.
        # One REPEATABLE READ snapshot for the whole phase: its horizon is exactly what was read.
        previous_isolation = conn.isolation_level
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            with conn.transaction():
                seen = journal.position(conn)
                since = (current.journal_xmax, current.journal_xip)
                for ids in journal.changed_ids(conn, spec.journal_kind, since, batch_size):
                    count("journal", len(ids))
                    load_ids(ids)
        finally:
            conn.isolation_level = previous_isolation
        # Keep a long in-progress list out of the mapping: past the cap, re-read from its oldest.
        if len(seen.xip) > MAX_XIP:
            current.journal_xmax, current.journal_xip = min(seen.xip), []
        else:
            current.journal_xmax, current.journal_xip = seen.xmax, list(seen.xip)

        # 4. After a resync: documents whose row is gone (or became a placeholder) go.
        if current.sweep_pending:
            load.refresh(es, index)
            for ids in load.scan_ids(es, index, batch_size):
                count(f"{target} swept", len(ids))
                load_ids(ids)
            current.sweep_pending = False
    except BaseException:
        # Keep what was acknowledged (positions only advance past loaded batches), and with it
        # `bump_pending`: a rerun finds the documents this run changed equal to the stored ones,
        # so only the state can tell it that the cached answers are stale.
        if current.bump_pending:
            try:
                save()
                if cache is not None:
                    load.refresh(es, index)
                    cache.incr(es_mappings.generation_key(name, prefix))
            except Exception as error:  # the original failure is the one to raise
                log.warning("%s: could not record the changes of a failed run: %s", index, error)
        raise

    if current.bump_pending:
        # The new generation tells the API its cached answers are stale; a search answered
        # before the next scheduled refresh would still miss this run's documents and be
        # cached under the new generation for the whole TTL. Make them searchable first.
        load.refresh(es, index)
    if current.bump_pending and cache is not None:
        try:
            report.generation = int(cache.incr(es_mappings.generation_key(name, prefix)))
        except redis.RedisError:
            save()  # with `bump_pending`, so the retry bumps once Redis is back
            raise
        current.bump_pending = False
    if report.rows_read or report.generation is not None:
        # One state write closes the run (a mapping update is a cluster-state change, the
        # costliest call of a small run). A run that read nothing leaves the stored journal
        # position behind: re-reading from it finds nothing either.
        save()
    # Journal entries older than the retention go; an index that has not run for that long finds
    # its position pruned at its next start and resyncs.
    journal.prune(conn, journal_retention_seconds)
    log.info("%s", report.summary())
    return report
