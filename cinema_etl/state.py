"""The ETL's position, kept in the index mapping's `_meta` so it can never drift from the data.

Dropping or recreating an index drops its state with it; restoring an index from a snapshot
restores the state that was true of that snapshot. The state is written only after Elasticsearch
acknowledged the documents it describes, so it can lag the index (a batch is redone, which is
harmless: documents are upserted by id) but never run ahead of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

META_KEY = "cinema_etl"
STATE_VERSION = 3
ZERO_ID = "00000000-0000-0000-0000-000000000000"


@dataclass
class IndexState:
    """Everything the next run needs to know: the journal position, and how far a pass over the
    whole own table (the first load, a resync) has come."""

    origin: str | None = None
    # The horizon of the snapshot the journal was last read in (see `journal`).
    journal_xmax: int = 0
    journal_xip: list[int] = field(default_factory=list)
    # True while a pass over the whole own table is pending; `scan_after` is the last id it loaded.
    scan_pending: bool = False
    scan_after: str = ZERO_ID
    # True while the first load of an index the ETL created runs: no comparison with stored documents.
    fresh: bool = False
    # True after a resync started: documents whose rows are gone must be swept out at the end.
    sweep_pending: bool = False
    # True once a batch changed the index and until its generation was bumped in Redis.
    bump_pending: bool = False

    def to_meta(self) -> dict[str, Any]:
        body = asdict(self)
        body["version"] = STATE_VERSION
        return body

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> IndexState | None:
        if not meta or meta.get("version") != STATE_VERSION:
            return None
        return cls(
            origin=meta.get("origin"),
            journal_xmax=int(meta.get("journal_xmax", 0)),
            journal_xip=[int(x) for x in meta.get("journal_xip", [])],
            scan_pending=bool(meta.get("scan_pending", False)),
            scan_after=str(meta.get("scan_after", ZERO_ID)),
            fresh=bool(meta.get("fresh", False)),
            sweep_pending=bool(meta.get("sweep_pending", False)),
            bump_pending=bool(meta.get("bump_pending", False)),
        )


def read(es: Elasticsearch, index_name: str) -> IndexState | None:
    """The stored state, or None when the index has none (made by hand, or an older format)."""
    mapping = es.indices.get_mapping(index=index_name)
    meta = next(iter(mapping.body.values()))["mappings"].get("_meta", {})
    return IndexState.from_meta(meta.get(META_KEY))


def write(es: Elasticsearch, index_name: str, state: IndexState) -> None:
    """Store the state; call only after the documents it covers were acknowledged."""
    es.indices.put_mapping(index=index_name, meta={META_KEY: state.to_meta()})
