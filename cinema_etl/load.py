"""Writes to Elasticsearch: index creation from `es_mappings`, alias swaps, bulk upserts and
deletes by id.

Documents are written whole by id (`index` actions), so a batch written twice leaves one
document. Outside the first load of a fresh index, each batch is first compared with what the
index holds (one `mget`): documents equal to the stored ones are not sent at all. That is how a
run knows whether it changed the index (and whether to bump the index's generation in Redis),
and it is cheaper than `update` with `doc_as_upsert`, which makes Elasticsearch fetch, merge and
compare every document on its side.

Functions take the name they write to: an `index_name` (an alias) or a `versioned_name` (the
concrete index being built), see `es_mappings`; those that also need the mapping take its body.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import BulkIndexError, scan, streaming_bulk

T = TypeVar("T")
# (id, document) pairs to write; a None document deletes the id.
Documents = Iterable[tuple[str, dict[str, Any] | None]]
# helpers.scan replaces the client's request timeout with its own argument (None: wait forever);
# this is the one the DAGs' client has.
SCAN_REQUEST_TIMEOUT_SECONDS = 120.0
# A replaced index is deleted this long after the swap at the earliest (see `drop_when_idle`):
# longer than a search request waits in a busy node's queue, and than the API waits for one.
RETIRE_GRACE_SECONDS = 5.0
RETIRE_TIMEOUT_SECONDS = 60.0


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


def index_exists(es: Elasticsearch, index_name: str) -> bool:
    return bool(es.indices.exists(index=index_name))


def concrete_indices(es: Elasticsearch, index_name: str) -> list[str]:
    """The concrete indices `index_name` resolves to: those behind the alias, `[index_name]` for
    a plain index (an installation from before aliases, or a restore of an older snapshot), none
    when it is missing."""
    return sorted(es.indices.get(index=index_name, ignore_unavailable=True).body)


def delete_indices(es: Elasticsearch, index_names: list[str]) -> None:
    """Delete the concrete indices behind `index_names` (Elasticsearch refuses to delete through
    an alias), and with them the aliases; missing names are skipped."""
    concrete = sorted({name for index_name in index_names for name in concrete_indices(es, index_name)})
    if concrete:
        es.indices.delete(index=",".join(concrete), ignore_unavailable=True)


def create_index(
    es: Elasticsearch,
    body: Mapping[str, Any],
    versioned_name: str,
    meta: Mapping[str, Any],
    alias: str | None = None,
) -> bool:
    """Create `versioned_name` from `body` (see `es_mappings.index_body`) with `meta` in its
    `_meta`, and with `alias` when given (the same call: the name never points at nothing); False
    when it already exists.

    It is created without periodic refresh, as Elasticsearch advises for a bulk load:
    `finish_loading` restores the body's refresh interval when the first load is done.
    """
    body = copy.deepcopy(dict(body))
    body["mappings"]["_meta"] = dict(meta)
    body["settings"]["refresh_interval"] = "-1"
    try:
        es.indices.create(
            index=versioned_name,
            settings=body["settings"],
            mappings=body["mappings"],
            aliases={alias: {}} if alias else None,
        )
    except Exception as error:  # another run created it first
        if getattr(error, "error", "") == "resource_already_exists_exception":
            return False
        raise
    return True


def swap_alias(es: Elasticsearch, alias: str, versioned_name: str, replaced: list[str]) -> list[str]:
    """Point `alias` at `versioned_name` instead of the `replaced` indices, in one atomic call:
    readers of `alias` see the old index, then the new one, never neither. Returns the replaced
    indices, now without the alias, for `drop_when_idle`.

    A plain index named like the alias is deleted in that call (an alias cannot be added beside an
    index of its name, but `remove_index` and `add` in one call replace one by the other): a search
    running on it then fails, so that migration, made once, is not quite without errors.
    """
    plain = [name for name in replaced if name == alias]
    retired = [name for name in replaced if name != alias]
    actions: list[dict[str, Any]] = [{"add": {"index": versioned_name, "alias": alias}}]
    actions += [{"remove_index": {"index": name}} for name in plain]
    actions += [{"remove": {"index": name, "alias": alias}} for name in retired]
    es.indices.update_aliases(actions=actions)
    return retired


def drop_when_idle(es: Elasticsearch, index_names: list[str]) -> None:
    """Delete `index_names` (no alias points at them any more) once no search runs on them.

    Deleting an index closes its analyzers under the searches still running or queued on it,
    which then fail ("this Analyzer is closed"): a search that resolved the alias just before the
    swap may not have started yet, hence the grace before the index's own count of running
    searches is trusted.
    """
    if not index_names:
        return
    time.sleep(RETIRE_GRACE_SECONDS)
    deadline = time.monotonic() + RETIRE_TIMEOUT_SECONDS
    while _searches_running(es, index_names) and time.monotonic() < deadline:
        time.sleep(0.2)
    es.indices.delete(index=",".join(index_names), ignore_unavailable=True)


def _searches_running(es: Elasticsearch, index_names: list[str]) -> int:
    try:
        stats = es.indices.stats(index=",".join(index_names), metric="search")
    except NotFoundError:  # deleted meanwhile: nothing runs on it
        return 0
    return sum(
        int(entry["total"]["search"]["query_current"]) + int(entry["total"]["search"]["fetch_current"])
        for entry in stats["indices"].values()
    )


def other_versions(es: Elasticsearch, index_name: str, keep: list[str]) -> list[str]:
    """Concrete indices named like versions of `index_name` (`<index_name>_<hex>`, see
    `es_mappings.versioned_name`) other than `keep`: replaced ones a failed run did not get to
    drop, or builds of a body that is no longer current."""
    version = re.compile(re.escape(index_name) + "_[0-9a-f]+")
    found = es.indices.get(index=f"{index_name}_*", expand_wildcards="open,closed").body
    return sorted(name for name in found if version.fullmatch(name) and name not in keep)


def finish_loading(es: Elasticsearch, body: Mapping[str, Any], index_name: str) -> None:
    """Back to the body's refresh interval after the first load, and make the load visible."""
    interval = body["settings"].get("refresh_interval", "1s")
    es.indices.put_settings(index=index_name, settings={"index": {"refresh_interval": interval}})
    es.indices.refresh(index=index_name)


def _actions(index_name: str, documents: Documents) -> Iterator[dict[str, Any]]:
    for doc_id, document in documents:
        if document is None:
            yield {"_op_type": "delete", "_index": index_name, "_id": doc_id}
        else:
            yield {"_op_type": "index", "_index": index_name, "_id": doc_id, "_source": document}


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _changed_only(
    es: Elasticsearch, index_name: str, documents: Documents, batch_size: int, counts: WriteCounts
) -> Documents:
    """The documents that differ from the stored ones (deletes pass through).

    Stored sources are the JSON the ETL sent, and documents hold only JSON types (strings for
    dates, floats for ratings), so equality after the round trip means nothing would change.
    """
    for batch in _batches(documents, batch_size):
        upsert_ids = [doc_id for doc_id, document in batch if document is not None]
        stored: dict[str, Any] = {}
        if upsert_ids:
            response = es.mget(index=index_name, ids=upsert_ids)
            stored = {doc["_id"]: doc.get("_source") for doc in response["docs"] if doc.get("found")}
        for doc_id, document in batch:
            if document is not None and stored.get(doc_id) == document:
                counts.unchanged += 1
            else:
                yield doc_id, document


def write(
    es: Elasticsearch,
    index_name: str,
    documents: Documents,
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
        documents = _changed_only(es, index_name, documents, chunk_size, counts)
    for ok, item in streaming_bulk(
        es,
        _actions(index_name, documents),
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
        raise BulkIndexError(f"{len(failures)} document(s) failed to load into {index_name}", failures)
    return counts


def scan_ids(es: Elasticsearch, index_name: str, page_size: int) -> Iterator[list[str]]:
    """All document ids of `index_name` in pages of `page_size`, as they stood when the scan
    began (a scroll: the caller's deletes do not shift the pages); none when the index is missing."""
    hits = scan(
        es,
        index=index_name,
        size=page_size,
        source=False,
        ignore_unavailable=True,
        request_timeout=SCAN_REQUEST_TIMEOUT_SECONDS,
    )
    yield from _batches((hit["_id"] for hit in hits), page_size)


def refresh(es: Elasticsearch, index_name: str) -> None:
    es.indices.refresh(index=index_name)
