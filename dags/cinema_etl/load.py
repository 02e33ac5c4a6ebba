"""Writes to Elasticsearch: index creation from `es_mappings`, bulk upserts and deletes by id.

Documents are upserted by id, so a batch written twice leaves one document. Outside the first
load of a fresh index, upserts are `update` actions with `doc_as_upsert`: Elasticsearch compares
the new document with the stored one and reports `noop` when nothing changed, which is how a run
knows whether it changed the index (and whether to bump the index's generation in Redis).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import BulkIndexError, streaming_bulk

import es_mappings


@dataclass
class WriteCounts:
    """What Elasticsearch did with a batch."""

    written: int = 0  # created or updated
    deleted: int = 0
    unchanged: int = 0  # noop updates and deletes of absent documents

    def add(self, other: WriteCounts) -> None:
        self.written += other.written
        self.deleted += other.deleted
        self.unchanged += other.unchanged

    @property
    def changed(self) -> int:
        return self.written + self.deleted


def index_exists(es: Elasticsearch, index: str) -> bool:
    return bool(es.indices.exists(index=index))


def create_index(
    es: Elasticsearch, name: str, index: str, meta: Mapping[str, Any], loading: bool = False
) -> bool:
    """Create `index` from the `name` mapping with `meta` in its `_meta`; False when it already exists.

    `loading` creates it without periodic refresh, as Elasticsearch advises for a bulk load:
    `finish_loading` restores the mapping's refresh interval when the first load is done.
    """
    body = es_mappings.index_body(name)
    body["mappings"]["_meta"] = dict(meta)
    if loading:
        body["settings"]["refresh_interval"] = "-1"
    try:
        es.indices.create(index=index, settings=body["settings"], mappings=body["mappings"])
    except Exception as error:  # another run created it first
        if getattr(error, "error", "") == "resource_already_exists_exception":
            return False
        raise
    return True


def finish_loading(es: Elasticsearch, name: str, index: str) -> None:
    """Back to the mapping's refresh interval after the first load, and make the load visible."""
    interval = es_mappings.index_body(name)["settings"].get("refresh_interval", "1s")
    es.indices.put_settings(index=index, settings={"index": {"refresh_interval": interval}})
    es.indices.refresh(index=index)


def _actions(
    index: str, upserts: Iterable[tuple[str, dict[str, Any] | None]], plain_index: bool
) -> Iterator[dict[str, Any]]:
    for doc_id, document in upserts:
        if document is None:
            yield {"_op_type": "delete", "_index": index, "_id": doc_id}
        elif plain_index:
            yield {"_op_type": "index", "_index": index, "_id": doc_id, "_source": document}
        else:
            yield {
                "_op_type": "update",
                "_index": index,
                "_id": doc_id,
                "doc": document,
                "doc_as_upsert": True,
            }


def write(
    es: Elasticsearch,
    index: str,
    documents: Iterable[tuple[str, dict[str, Any] | None]],
    plain_index: bool = False,
    chunk_size: int = 1000,
) -> WriteCounts:
    """Upsert (document) or delete (None) by id; returns only after Elasticsearch acknowledged all.

    Raises on any failed item, so a caller never records progress past a document that is not in.
    """
    counts = WriteCounts()
    failures: list[dict[str, Any]] = []
    for ok, item in streaming_bulk(
        es,
        _actions(index, documents, plain_index),
        chunk_size=chunk_size,
        max_chunk_bytes=20 * 1024 * 1024,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=3,
        initial_backoff=1,
    ):
        op, result = next(iter(item.items()))
        outcome = result.get("result")
        if op == "delete" and (outcome == "not_found" or result.get("status") == 404):
            counts.unchanged += 1
        elif not ok:
            failures.append(item)
        elif op == "delete":
            counts.deleted += 1
        elif outcome == "noop":
            counts.unchanged += 1
        else:
            counts.written += 1
    if failures:
        raise BulkIndexError(f"{len(failures)} document(s) failed to load into {index}", failures)
    return counts


def scan_ids(es: Elasticsearch, index: str, page_size: int) -> Iterator[list[str]]:
    """All document ids of `index` in pages (search_after on the `id` keyword field)."""
    after: list[Any] | None = None
    while True:
        try:
            response = es.search(
                index=index,
                size=page_size,
                source=False,
                sort=[{"id": "asc"}],
                search_after=after,
                query={"match_all": {}},
                track_total_hits=False,
            )
        except NotFoundError:
            return
        hits = response["hits"]["hits"]
        if not hits:
            return
        yield [hit["_id"] for hit in hits]
        after = hits[-1]["sort"]
        if len(hits) < page_size:
            return


def refresh(es: Elasticsearch, index: str) -> None:
    es.indices.refresh(index=index)
