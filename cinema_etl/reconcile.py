"""Reconciliation: an index compared with Postgres completely, and repaired where it differs.

The journal makes drift unlikely, not impossible: a document deleted or edited by hand, an index
restored from an old snapshot with a valid state, triggers disabled for a bulk load. So
`reconcile_indices` compares every document, cheaply:

1. the id space (uuids in byte order, which is also the string order of their canonical form) is
   cut into equal ranges of about `RANGE_SIZE` rows;
2. per range, Postgres's documents are built as the ETL builds them and the index's are read
   (one search), and only counts and a checksum over (id, content digest) are compared;
3. where a range differs, its documents are compared one by one (the digests are at hand), and
   what is missing, extra or different is repaired: rebuilt from Postgres, or deleted.

Memory is bounded by one range; nothing is written where the index is right. The repair runs
under the index's writer lock (`pipeline.index_lock`), so it never races an ETL run: a run
waiting for the lock then reads the journal from where it stood and finds every later change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import es_mappings
from cinema_etl import load, pipeline

log = logging.getLogger(__name__)

RANGE_SIZE = 1000
_SPACE = 2**128


def _digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


def _checksum(digests: dict[str, str]) -> str:
    combined = hashlib.blake2b(digest_size=16)
    for doc_id in sorted(digests):
        combined.update(f"{doc_id}:{digests[doc_id]};".encode())
    return combined.hexdigest()


def id_ranges(rows: int, range_size: int = RANGE_SIZE) -> list[tuple[UUID, UUID | None]]:
    """Equal ranges [low, high) of the uuid space, enough for about `range_size` rows each; the
    last one is open (None: up to and including the largest uuid)."""
    count = max(1, math.ceil(rows / range_size))
    bounds = [UUID(int=n * _SPACE // count) for n in range(count)]
    return [(low, bounds[n + 1] if n + 1 < count else None) for n, low in enumerate(bounds)]


@dataclass
class ReconcileReport:
    """What a reconciliation found and did; the DAG task's XCom and log line."""

    index_name: str
    ranges_checked: int = 0
    ranges_differing: int = 0
    documents_checked: int = 0
    missing: int = 0
    extra: int = 0
    different: int = 0
    repaired: load.WriteCounts = field(default_factory=load.WriteCounts)
    generation: int | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.index_name}: {self.ranges_checked} id ranges checked"
            f" ({self.documents_checked} documents), {self.ranges_differing} differed:"
            f" {self.missing} missing, {self.extra} extra,"
            f" {self.different} different; repaired: written {self.repaired.written},"
            f" deleted {self.repaired.deleted}; {self.seconds:.1f} s"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index_name,
            "ranges_checked": self.ranges_checked,
            "ranges_differing": self.ranges_differing,
            "documents_checked": self.documents_checked,
            "missing": self.missing,
            "extra": self.extra,
            "different": self.different,
            "documents_repaired": self.repaired.changed,
            "written": self.repaired.written,
            "deleted": self.repaired.deleted,
            "generation": self.generation,
            "seconds": round(self.seconds, 3),
        }


@dataclass(eq=False)
class Reconciliation(pipeline.IndexWriter):
    """Compare `index` (its name carries `prefix`) with Postgres, `range_size` rows per id range,
    and repair it; see the module docstring and, for the clients, `pipeline.IndexWriter`."""

    range_size: int = RANGE_SIZE

    def __post_init__(self) -> None:
        super().__post_init__()
        self.report = ReconcileReport(index_name=self.index_name)

    def run(self) -> ReconcileReport:
        started = time.monotonic()
        load.refresh(self.es, self.index_name)
        row = self.conn.execute(f"SELECT count(*) FROM content.{self.spec.table}").fetchone()  # noqa: S608
        rows = row[0] if row else 0
        to_repair: list[str] = []
        for low, high in id_ranges(rows, self.range_size):
            self.report.ranges_checked += 1
            expected = self._postgres_digests(low, high)
            actual = self._index_digests(low, high)
            self.report.documents_checked += len(expected)
            if len(expected) == len(actual) and _checksum(expected) == _checksum(actual):
                continue
            self.report.ranges_differing += 1
            missing = expected.keys() - actual.keys()
            extra = actual.keys() - expected.keys()
            different = {i for i in expected.keys() & actual.keys() if expected[i] != actual[i]}
            self.report.missing += len(missing)
            self.report.extra += len(extra)
            self.report.different += len(different)
            to_repair.extend(sorted(missing | extra | different))
        # Documents without an `id` field fall in no range: found by their absence of one.
        strays = list(self._documents_without_id())
        self.report.extra += len(strays)
        to_repair.extend(strays)
        if to_repair:
            self._repair(to_repair)
        self.report.seconds = time.monotonic() - started
        log.info("%s", self.report.summary())
        return self.report

    def _ids(self, low: UUID, high: UUID | None) -> list[UUID]:
        table = self.spec.table
        if high is None:
            query = f"SELECT id FROM content.{table} WHERE id >= %s ORDER BY id"  # noqa: S608
            return [r[0] for r in self.conn.execute(query, (low,))]
        query = f"SELECT id FROM content.{table} WHERE id >= %s AND id < %s ORDER BY id"  # noqa: S608
        return [r[0] for r in self.conn.execute(query, (low, high))]

    def _postgres_digests(self, low: UUID, high: UUID | None) -> dict[str, str]:
        digests: dict[str, str] = {}
        ids = self._ids(low, high)
        for group in self.spec.split(self.conn, ids):
            for doc_id, document in self.spec.build(self.conn, group):
                if document is not None:
                    digests[doc_id] = _digest(document)
        return digests

    def _index_digests(self, low: UUID, high: UUID | None) -> dict[str, str]:
        # The outer ranges are open in the index: a stray `id` that is no uuid still falls in one.
        bounds: dict[str, str] = {"gte": str(low)} if low.int else {}
        if high is not None:
            bounds["lt"] = str(high)
        digests: dict[str, str] = {}
        after: list[Any] | None = None
        while True:
            response = self.es.search(
                index=self.index_name,
                query={"range": {"id": bounds}},
                sort=[{"id": "asc"}],
                size=self.range_size,
                search_after=after,
                track_total_hits=False,
            )
            hits = response["hits"]["hits"]
            for hit in hits:
                digests[hit["_id"]] = _digest(hit["_source"])
            if len(hits) < self.range_size:
                return digests
            after = hits[-1]["sort"]

    def _documents_without_id(self) -> Iterator[str]:
        response = self.es.search(
            index=self.index_name,
            query={"bool": {"must_not": {"exists": {"field": "id"}}}},
            size=10_000,
            source=False,
        )
        for hit in response["hits"]["hits"]:
            yield hit["_id"]

    def _repair(self, ids: list[str]) -> None:
        """Rebuild `ids` from Postgres (a row gone: the document goes), under the writer lock."""
        with pipeline.index_lock(self.conn, self.index_name):
            for start in range(0, len(ids), self.range_size):
                page = ids[start : start + self.range_size]
                uuids = [UUID(i) if _is_uuid(i) else None for i in page]
                documents: load.Documents = [(i, None) for i, u in zip(page, uuids, strict=True) if u is None]
                valid = [u for u in uuids if u is not None]
                for group in self.spec.split(self.conn, valid):
                    documents = [*documents, *self.spec.build(self.conn, group)]
                self.report.repaired.add(load.write(self.es, self.index_name, documents))
            if self.report.repaired.changed:
                load.refresh(self.es, self.index_name)
                if self.cache is not None:
                    key = es_mappings.generation_key(self.index, self.prefix)
                    self.report.generation = int(self.cache.incr(key))


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
