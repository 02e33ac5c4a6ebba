"""Writes to Elasticsearch: index creation from `es_mappings`, bulk upserts and deletes by id.

Documents are written whole by id (`index` actions), so a batch written twice leaves one
document. Outside the first load of a fresh index, each batch is first compared with what the
index holds (one `mget`): documents equal to the stored ones are not sent at all. That is how a
run knows whether it changed the index (and whether to bump the index's generation in Redis),
and it is cheaper than `update` with `doc_as_upsert`, which makes Elasticsearch fetch, merge and
compare every document on its side.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
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


Upserts = Iterable[tuple[str, dict[str, Any] | None]]


def _actions(index: str, upserts: Upserts) -> Iterator[dict[str, Any]]:
    for doc_id, document in upserts:
        if document is None:
            yield {"_op_type": "delete", "_index": index, "_id": doc_id}
        else:
            yield {"_op_type": "index", "_index": index, "_id": doc_id, "_source": document}


def _batches(documents: Upserts, size: int) -> Iterator[list[tuple[str, dict[str, Any] | None]]]:
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        yield batch


def _changed_only(
    es: Elasticsearch, index: str, documents: Upserts, batch_size: int, counts: WriteCounts
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """The upserts whose document differs from the stored one (deletes pass through).

    Stored sources are the JSON the ETL sent, and documents hold only JSON types (strings for
    dates, floats for ratings), so equality after the round trip means nothing would change.
    """
    for batch in _batches(documents, batch_size):
        upsert_ids = [doc_id for doc_id, document in batch if document is not None]
        stored: dict[str, Any] = {}
        if upsert_ids:
            response = es.mget(index=index, ids=upsert_ids)
            stored = {doc["_id"]: doc.get("_source") for doc in response["docs"] if doc.get("found")}
        for doc_id, document in batch:
            if document is not None and stored.get(doc_id) == document:
                counts.unchanged += 1
            else:
                yield doc_id, document


def write(
    es: Elasticsearch,
    index: str,
    documents: Upserts,
    plain_index: bool = False,
    chunk_size: int = 1000,
) -> WriteCounts:
    """Upsert (document) or delete (None) by id; returns only after Elasticsearch acknowledged all.

    `plain_index` skips the comparison with stored documents (the first load of a fresh index,
    where there is nothing to compare with). Raises on any failed item, so a caller never records
    progress past a document that is not in.
    """
    counts = WriteCounts()
    failures: list[dict[str, Any]] = []
    if not plain_index:
        documents = _changed_only(es, index, documents, chunk_size, counts)
    for ok, item in streaming_bulk(
        es,
        _actions(index, documents),
        chunk_size=chunk_size,
        max_chunk_bytes=20 * 1024 * 1024,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=3,
        initial_backoff=1,
    ):
        op, result = next(iter(item.items()))
        if op == "delete" and (result.get("result") == "not_found" or result.get("status") == 404):
            counts.unchanged += 1
        elif not ok:
            failures.append(item)
        elif op == "delete":
            counts.deleted += 1
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
