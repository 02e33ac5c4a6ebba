"""One incremental run of one index: what changed in Postgres goes to Elasticsearch.

`IndexRun` walks the phases of a run (README.md, "Airflow: restores and the ETL", explains what
each reads and why), one method each, sharing the index's state and the run's report. A position
advances only after Elasticsearch acknowledged the documents it covers, so a run that fails
anywhere leaves a position the next run carries on from.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
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
# Bulk requests of a full load or resync sent at once (see `IndexRun.scan_own_table`).
BULKS_IN_FLIGHT = 2
# How long journal entries are kept; every run prunes older ones (see `IndexRun.finish`).
JOURNAL_RETENTION_SECONDS = 7 * 24 * 3600


def _films(conn: psycopg.Connection, ids: Sequence[UUID]) -> load.Documents:
    built = {str(row[0]): transform.film_document(*row) for row in extract.film_rows(conn, ids)}
    return [(str(i), built.get(str(i))) for i in ids]


def _genres(conn: psycopg.Connection, ids: Sequence[UUID]) -> load.Documents:
    built = {str(row[0]): transform.genre_document(*row) for row in extract.genre_rows(conn, ids)}
    return [(str(i), built.get(str(i))) for i in ids]


def _persons(conn: psycopg.Connection, ids: Sequence[UUID]) -> load.Documents:
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

    index: str
    table: str
    journal_kind: str
    related: tuple[str, ...]
    build: Callable[[psycopg.Connection, Sequence[UUID]], load.Documents]
    # Splits a page of ids into groups small enough to build at once.
    split: Callable[[psycopg.Connection, Sequence[UUID]], list[Sequence[UUID]]] = _whole

    @property
    def own_kinds(self) -> tuple[str, ...]:
        """Journal kinds whose ids are this index's documents: links changed, the row changed."""
        return (self.journal_kind, journal.ROW_KINDS[self.table])

    @property
    def related_kinds(self) -> dict[str, str]:
        """Journal kind of a changed row of an embedded table -> that table (followed by its links)."""
        return {journal.ROW_KINDS[table]: table for table in self.related}

    @property
    def kinds(self) -> tuple[str, ...]:
        return (*self.own_kinds, *self.related_kinds)


SPECS = {
    es_mappings.MOVIES: IndexSpec(es_mappings.MOVIES, "film_work", "film", ("person", "genre"), _films),
    es_mappings.GENRES: IndexSpec(es_mappings.GENRES, "genre", "genre", (), _genres),
    es_mappings.PERSONS: IndexSpec(
        es_mappings.PERSONS, "person", "person", ("film_work",), _persons, _by_filmography
    ),
}


@dataclass
class Lag:
    """The journal rows of an index's kinds committed but not yet read, and the oldest one's age."""

    rows: int = 0
    oldest_age_seconds: float | None = None

    @classmethod
    def of(cls, backlog: journal.Backlog) -> Lag:
        age = backlog.oldest_age_seconds
        return cls(backlog.rows, round(age, 3) if age is not None else None)

    def summary(self) -> str:
        if not self.rows:
            return "none"
        return f"{self.rows} rows, oldest {self.oldest_age_seconds:.1f} s old"


@dataclass
class RunReport:
    """What a run did; logged by the DAG task and returned to tests and the benchmark.

    `lag_before` is what the run found waiting (its rows and how long the oldest had waited);
    `lag_after` what was committed while it ran and waits for the next run.
    """

    index_name: str
    created: bool = False
    resynced: bool = False
    # Set when the run built a new concrete index and swapped the alias to it: the ones it dropped.
    replaced: list[str] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    counts: load.WriteCounts = field(default_factory=load.WriteCounts)
    generation: int | None = None
    lag_before: Lag = field(default_factory=Lag)
    lag_after: Lag = field(default_factory=Lag)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return self.counts.changed > 0

    def summary(self) -> str:
        read = ", ".join(f"{table} {n}" for table, n in self.rows_read.items() if n) or "nothing"
        return (
            f"{self.index_name}: read {read}; written {self.counts.written}, deleted {self.counts.deleted},"
            f" unchanged {self.counts.unchanged}"
            + (" (index created)" if self.created else "")
            + (" (resynced)" if self.resynced else "")
            + (f" (rebuilt, replacing {', '.join(self.replaced)})" if self.replaced else "")
            + (f"; generation now {self.generation}" if self.generation is not None else "")
            + f"; journal backlog at start {self.lag_before.summary()}, at end {self.lag_after.summary()}"
            + f"; {self.seconds:.2f} s"
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON types (the DAG task's XCom, shown in the UI)."""
        return {
            "index": self.index_name,
            "rows_read": dict(self.rows_read),
            "written": self.counts.written,
            "deleted": self.counts.deleted,
            "unchanged": self.counts.unchanged,
            "created": self.created,
            "resynced": self.resynced,
            "replaced": list(self.replaced),
            "generation": self.generation,
            "journal_backlog_at_start": self.lag_before.rows,
            "oldest_unindexed_change_age_s_at_start": self.lag_before.oldest_age_seconds,
            "journal_backlog_at_end": self.lag_after.rows,
            "oldest_unindexed_change_age_s_at_end": self.lag_after.oldest_age_seconds,
            "seconds": round(self.seconds, 3),
        }


@contextmanager
def index_lock(conn: psycopg.Connection, index_name: str) -> Iterator[None]:
    """One writer per index at a time (a session advisory lock in the catalogue database).

    A run builds documents from its snapshot and then records that it read the journal up to
    there; another writer (a second run, a reconciliation) writing an older version of a
    document in between would leave it stale for good. The lock dies with the session, so a
    killed run never leaves it held.
    """
    key = f"cinema_etl.index:{index_name}"
    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
    try:
        yield
    finally:
        try:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
        except psycopg.Error as error:  # a broken session has released it already
            log.warning("%s: could not release the writer lock: %s", index_name, error)


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


@dataclass(eq=False)
class IndexWriter:
    """What everything that writes to `index` (its names carry `prefix`) shares: the clients, the
    index's feed and the name it is addressed by. `conn` must be an autocommit connection (see
    `extract.prepare`); `cache` receives the generation bump, None skips it (benchmarks).

    Writers are dataclasses, so a kind of writer declares only its own settings after these.
    """

    conn: psycopg.Connection
    es: Elasticsearch
    cache: redis.Redis | None
    index: str
    prefix: str = ""

    def __post_init__(self) -> None:
        self.spec = SPECS[self.index]
        self.index_name = es_mappings.index_name(self.index, self.prefix)


@dataclass(eq=False)
class IndexRun(IndexWriter):
    """One run that brings `index` (its names carry `prefix`) to Postgres's current state, one
    method per phase; see the module docstring. The phases share the index's state, which they
    advance, and the report, which they fill (the clients: see `IndexWriter`). `body` is the
    index's settings and mappings; left empty, `es_mappings.index_body(index)`.

    The run writes to the concrete index `versioned_name`. When the alias `index_name` points
    elsewhere (an older body, or a plain index of that name from before aliases), the run builds
    `versioned_name` beside it from Postgres, catches up with the journal, then swaps the alias
    in one call (`swap_alias`) and drops the old index once no search runs on it; a failed build
    resumes from its state, and indices of other versions behind no alias go at the next start.

    The state is written only after the documents it covers were acknowledged (`_save`), so a
    run that fails anywhere leaves a position the next run carries on from.
    """

    batch_size: int = 1000
    body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.body:
            self.body = es_mappings.index_body(self.index)
        self.versioned_name = es_mappings.versioned_name(self.index, self.prefix, self.body)
        self.report = RunReport(index_name=self.index_name)
        # Set by `start`: what the alias points at instead of `versioned_name` (None: already there).
        self.to_replace: list[str] | None = None
        # Set by `start`: the journal's position and the index's state.
        self.position: journal.JournalPosition
        self.state: state.IndexState
        # The state as last written, and when: `_save` skips unchanged and too frequent writes.
        self.written_meta: dict[str, Any] = {}
        self.last_save: float

    def run(self) -> RunReport:
        """Bring the index to Postgres's current state; see the module docstring."""
        started = time.monotonic()
        with index_lock(self.conn, self.index_name):
            self.start()
            try:
                self.scan_own_table()
                self.sync_journal()
                self.sweep()
                self.swap()
            except BaseException:
                self.keep_changes_of_failed_run()
                raise
            self.bump_generation()
            self.finish()
        self.report.seconds = time.monotonic() - started
        log.info("%s", self.report.summary())
        return self.report

    def start(self) -> None:
        """Read where the journal and the index stand: a missing index is created with a fresh
        state (with the alias when there is none yet, else beside the index it serves), an
        unusable state (restored, foreign or pruned past) starts a resync."""
        journal.ensure_installed(self.conn)
        self.position = journal.position(self.conn)
        self.last_save = time.monotonic()
        live = load.concrete_indices(self.es, self.index_name)
        leftovers = load.other_versions(self.es, self.index_name, keep=[*live, self.versioned_name])
        if leftovers:
            log.info("%s: dropping %s, behind no alias", self.index_name, ", ".join(leftovers))
            load.delete_indices(self.es, leftovers)
        if self.versioned_name not in live:
            self.to_replace = live
            log.info(
                "%s: building %s (now %s)", self.index_name, self.versioned_name, ", ".join(live) or "missing"
            )
        if not load.index_exists(self.es, self.versioned_name) and self._create_index(alias=not live):
            return
        stored = state.read(self.es, self.versioned_name)
        if (
            stored is None
            or stored.origin != self.position.origin
            or stored.journal_xmax < self.position.pruned_below
        ):
            log.info(
                "%s: no usable state (restored, foreign or too old): resyncing the whole index",
                self.index_name,
            )
            self.state = self._initial_state()
            self.state.sweep_pending = True
            self.report.resynced = True
            self._save()
        else:
            self.state, self.written_meta = stored, stored.to_meta()
        self.report.lag_before = self._lag()

    def _create_index(self, alias: bool) -> bool:
        """Create the missing concrete index with its state, and the alias with it when `alias`;
        False when another run created it first."""
        fresh = self._initial_state()
        fresh.fresh = True
        meta = {state.META_KEY: fresh.to_meta()}
        self.report.created = load.create_index(
            self.es, self.body, self.versioned_name, meta, alias=self.index_name if alias else None
        )
        if self.report.created:
            self.state, self.written_meta = fresh, fresh.to_meta()
            if alias:
                self.to_replace = None
        return self.report.created

    def _initial_state(self) -> state.IndexState:
        # A pass over the whole own table builds every document from current data; what is
        # committed from now on is read from the journal.
        return state.IndexState(
            origin=self.position.origin,
            journal_xmax=self.position.xmax,
            journal_xip=list(self.position.xip),
            scan_pending=True,
        )

    def _lag(self) -> Lag:
        since = (self.state.journal_xmax, self.state.journal_xip)
        return Lag.of(journal.backlog(self.conn, self.spec.kinds, since))

    def scan_own_table(self) -> None:
        """The first load or a resync: every row of the own table, by primary key; extracting
        the next pages overlaps loading."""
        if not self.state.scan_pending:
            return
        # Pages are written BULKS_IN_FLIGHT at a time, so Elasticsearch is never idle while the
        # client serializes the next bulk or waits for its answer; a page's position is recorded
        # only once it and every page before it are acknowledged (the queue is in page order).
        in_flight: deque[tuple[Future[load.WriteCounts], str | None]] = deque()
        with ThreadPoolExecutor(BULKS_IN_FLIGHT, thread_name_prefix="cinema-etl-bulk") as writers:
            try:
                for n, documents, last in prefetched(self._own_pages()):
                    self._count(self.spec.table, n)
                    in_flight.append((writers.submit(self._write, documents), last))
                    if len(in_flight) >= BULKS_IN_FLIGHT:
                        self._acknowledge(*in_flight.popleft())
                while in_flight:
                    self._acknowledge(*in_flight.popleft())
            finally:
                for future, _ in in_flight:
                    future.cancel()
        self.state.scan_pending = False
        if self.state.fresh:
            load.finish_loading(self.es, self.body, self.versioned_name)
            self.state.fresh = False
        self._save()

    def _acknowledge(self, written: Future[load.WriteCounts], last: str | None) -> None:
        self._counted(written.result())
        if last is not None:
            self.state.scan_after = last
            self._save(throttled=True)

    def _own_pages(self) -> Iterator[tuple[int, load.Documents, str | None]]:
        after = UUID(self.state.scan_after)
        for ids in extract.id_pages(self.conn, self.spec.table, after, self.batch_size):
            groups = self.spec.split(self.conn, ids)
            for number, group in enumerate(groups, start=1):
                # The page's position is reached once its last group is loaded.
                yield (
                    len(group),
                    self.spec.build(self.conn, group),
                    str(ids[-1]) if number == len(groups) else None,
                )

    def sync_journal(self) -> None:
        """Every change committed since the stored position, read in one REPEATABLE READ snapshot
        whose horizon is then exactly what was read (documents are built in it too): the
        index's own rows and links, and rows of embedded tables followed to the documents that
        show them (a renamed genre to its films)."""
        previous_isolation = self.conn.isolation_level
        self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            with self.conn.transaction():
                seen = journal.position(self.conn)
                since = (self.state.journal_xmax, self.state.journal_xip)
                for kind in self.spec.own_kinds:
                    for ids in journal.changed_ids(self.conn, kind, since, self.batch_size):
                        self._count(f"journal {kind}", len(ids))
                        self._load_ids(ids)
                target = self.spec.table
                for kind, table in self.spec.related_kinds.items():
                    for ids in journal.changed_ids(self.conn, kind, since, self.batch_size):
                        self._count(f"journal {kind}", len(ids))
                        for linked in extract.linked_ids(self.conn, table, target, ids, self.batch_size):
                            self._count(f"{target} linked", len(linked))
                            self._load_ids(linked)
        finally:
            self.conn.isolation_level = previous_isolation
        # Keep a long in-progress list out of the mapping: past the cap, re-read from its oldest.
        if len(seen.xip) > MAX_XIP:
            self.state.journal_xmax, self.state.journal_xip = min(seen.xip), []
        else:
            self.state.journal_xmax, self.state.journal_xip = seen.xmax, list(seen.xip)

    def sweep(self) -> None:
        """After a resync: documents whose row is gone (or became a placeholder) go."""
        if not self.state.sweep_pending:
            return
        load.refresh(self.es, self.versioned_name)
        for ids in load.scan_ids(self.es, self.versioned_name, self.batch_size):
            self._count(f"{self.spec.table} swept", len(ids))
            self._load_ids(ids)
        self.state.sweep_pending = False

    def swap(self) -> None:
        """A new concrete index, now complete and caught up, replaces what the alias served; the
        old one is dropped once the searches that still run on it are done. The generation is
        bumped even if no document changed: the mapping did."""
        if self.to_replace is None:
            return
        load.refresh(self.es, self.versioned_name)
        retired = load.swap_alias(self.es, self.index_name, self.versioned_name, self.to_replace)
        log.info("%s: now %s, dropping %s", self.index_name, self.versioned_name, ", ".join(self.to_replace))
        self.report.replaced, self.to_replace = self.to_replace, None
        self.state.bump_pending = True
        load.drop_when_idle(self.es, retired)

    def keep_changes_of_failed_run(self) -> None:
        """Keep what was acknowledged (positions only advance past loaded batches), and with it
        `bump_pending`: a rerun finds the documents this run changed equal to the stored ones,
        so only the state can tell it that the cached answers are stale."""
        if not self.state.bump_pending:
            return
        try:
            self._save()
            if self.cache is not None:
                load.refresh(self.es, self.versioned_name)
                self.cache.incr(es_mappings.generation_key(self.index, self.prefix))
        except Exception as error:  # the original failure is the one to raise
            log.warning("%s: could not record the changes of a failed run: %s", self.index_name, error)

    def bump_generation(self) -> None:
        """Tell the API its cached answers are stale, once this run's documents are searchable:
        a search answered before the next scheduled refresh would miss them and be cached
        under the new generation for the whole TTL."""
        if not self.state.bump_pending:
            return
        load.refresh(self.es, self.versioned_name)
        if self.cache is None:
            return
        try:
            self.report.generation = int(self.cache.incr(es_mappings.generation_key(self.index, self.prefix)))
        except redis.RedisError:
            self._save()  # with `bump_pending`, so the retry bumps once Redis is back
            raise
        self.state.bump_pending = False

    def finish(self) -> None:
        """Close the run with one state write and prune the journal."""
        if self.report.rows_read or self.report.generation is not None:
            # One write (a mapping update is a cluster-state change, the costliest call of a
            # small run). A run that read nothing leaves the stored journal position behind:
            # re-reading from it finds nothing either.
            self._save()
        self.report.lag_after = self._lag()
        # Journal entries older than the retention go; an index that has not run for that long finds
        # its position pruned at its next start and resyncs.
        journal.prune(self.conn, JOURNAL_RETENTION_SECONDS)

    def _save(self, throttled: bool = False) -> None:
        """Write the state unless unchanged (or, `throttled`, written less than
        STATE_INTERVAL_SECONDS ago); positions may lag the index (batches are then redone),
        never lead it."""
        if throttled and time.monotonic() - self.last_save < STATE_INTERVAL_SECONDS:
            return
        meta = self.state.to_meta()
        if meta != self.written_meta:
            state.write(self.es, self.versioned_name, self.state)
            self.written_meta = meta
        self.last_save = time.monotonic()

    def _write(self, documents: load.Documents) -> load.WriteCounts:
        return load.write(
            self.es, self.versioned_name, documents, plain_index=self.state.fresh, chunk_size=self.batch_size
        )

    def _counted(self, counts: load.WriteCounts) -> None:
        self.report.counts.add(counts)
        if counts.changed:
            self.state.bump_pending = True

    def _load_documents(self, documents: load.Documents) -> None:
        self._counted(self._write(documents))

    def _load_ids(self, ids: Sequence[UUID] | Sequence[str]) -> None:
        """Rebuild the documents of `ids` from Postgres (deleting those without a row) and load them."""
        for group in self.spec.split(self.conn, [UUID(str(i)) for i in ids]):
            self._load_documents(self.spec.build(self.conn, group))

    def _count(self, table: str, n: int) -> None:
        self.report.rows_read[table] = self.report.rows_read.get(table, 0) + n
