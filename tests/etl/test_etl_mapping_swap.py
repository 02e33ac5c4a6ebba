"""Versioned indices behind aliases: a fresh load, a mapping change and a plain index from before
aliases, each swapped in while readers of the alias get answers throughout."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from elasticsearch import Elasticsearch, TransportError
from etl_expected import assert_indices_match

import es_mappings
from cinema_etl import load, pipeline


def _with_extra_field(body: dict) -> dict:
    changed = copy.deepcopy(body)
    changed["mappings"]["properties"]["swap_marker"] = {"type": "keyword"}
    return changed


@contextmanager
def readers(es_url: str, alias: str, film_id: str, threads: int = 3) -> Iterator[list[str]]:
    """Searches, gets and counts against `alias` in `threads` loops while the block runs; yields
    the list of failures (filled when the block ends), each an error or a missing film."""
    failures: list[str] = []
    requests = [0]
    stop = threading.Event()

    def loop() -> None:
        client = Elasticsearch(es_url, request_timeout=30)
        try:
            while not stop.is_set():
                try:
                    hits = client.search(index=alias, query={"ids": {"values": [film_id]}})["hits"]["hits"]
                    if not hits:
                        failures.append(f"search: film {film_id} missing")
                    client.get(index=alias, id=film_id)
                    client.count(index=alias)
                except TransportError as error:
                    failures.append(f"{type(error).__name__}: {error}")
                requests[0] += 1
        finally:
            client.close()

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield failures
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert requests[0] > threads, "the readers should have had time for several requests"


def _first_film(target) -> str:
    with target.connect() as conn:
        return str(conn.execute("SELECT id FROM content.film_work ORDER BY id LIMIT 1").fetchone()[0])


def test_fresh_load_creates_a_versioned_index_behind_the_alias(target):
    target.run_all()

    for index in es_mappings.INDICES:
        alias = target.index_name(index)
        assert load.concrete_indices(target.es, alias) == [es_mappings.versioned_name(index, target.prefix)]
        assert target.es.indices.exists_alias(name=alias)
    assert_indices_match(target)


def test_a_changed_mapping_is_built_beside_and_swapped_in_under_reads(target, stack):
    target.run_all()
    alias, old = target.index_name("movies"), es_mappings.versioned_name("movies", target.prefix)
    film_id = _first_film(target)
    body = _with_extra_field(es_mappings.index_body("movies"))
    new = es_mappings.versioned_name("movies", target.prefix, body)
    generation = target.generation("movies")
    assert new != old

    with readers(stack.es_url, alias, film_id) as failures:
        report = target.run("movies", body=body)

    assert failures == []
    assert report.created and report.replaced == [old]
    assert load.concrete_indices(target.es, alias) == [new]
    assert not target.es.indices.exists(index=old)
    mapping = target.es.indices.get_mapping(index=alias).body[new]["mappings"]["properties"]
    assert mapping["swap_marker"] == {"type": "keyword"}
    assert target.generation("movies") == generation + 1
    assert_indices_match(target)
    # The new field is in the live mapping: a document carrying it is searchable by it.
    target.es.update(index=alias, id=film_id, doc={"swap_marker": "on"}, refresh=True)
    hits = target.es.search(index=alias, query={"term": {"swap_marker": "on"}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == [film_id]
    # The next run with the same body finds its index in place: nothing rebuilt.
    again = target.run("movies", body=body)
    assert not again.created and again.replaced == []


class RenamingRun(pipeline.IndexRun):
    """A run that commits a change (an UPDATE without `modified`) once its scan of the table is
    done: after the new index's journal position, before the swap."""

    dsn = ""
    film_id = ""

    def scan_own_table(self) -> None:
        super().scan_own_table()
        with psycopg.connect(self.dsn, autocommit=True) as other:
            other.execute(
                "UPDATE content.film_work SET title = 'Renamed during the build' WHERE id = %s",
                (self.film_id,),
            )


def test_changes_committed_during_the_build_reach_the_new_index(target):
    target.run_all()
    body = _with_extra_field(es_mappings.index_body("movies"))
    RenamingRun.dsn, RenamingRun.film_id = target.dsn, _first_film(target)

    with target.connect() as conn:
        report = RenamingRun(conn, target.es, target.cache, "movies", target.prefix, body=body).run()

    assert report.replaced
    document = target.es.get(index=target.index_name("movies"), id=RenamingRun.film_id)["_source"]
    assert document["title"] == "Renamed during the build"
    target.run("persons")  # the film's people show its title too
    target.es.indices.refresh(index=target.index_name("persons"))
    assert_indices_match(target)


def test_a_plain_index_from_before_aliases_is_migrated_under_reads(target, stack):
    es, alias = target.es, target.index_name("movies")
    film_id = _first_film(target)
    # An installation from before aliases: a concrete index named like the alias, with documents.
    body = es_mappings.index_body("movies")
    es.indices.create(index=alias, settings=body["settings"], mappings=body["mappings"])
    es.index(index=alias, id=film_id, document={"id": film_id, "title": "Stale plain copy"}, refresh=True)

    with readers(stack.es_url, alias, film_id) as failures:
        report = target.run("movies")

    assert failures == []
    assert report.replaced == [alias]
    assert load.concrete_indices(es, alias) == [es_mappings.versioned_name("movies", target.prefix)]
    assert es.indices.exists_alias(name=alias)
    target.run("genres")
    target.run("persons")
    target.es.indices.refresh(index=alias)
    assert_indices_match(target)


def test_indices_of_other_versions_behind_no_alias_are_dropped(target):
    """What a run that failed between its swap and dropping the old index leaves, and a build of a
    body that is no longer current: the next run's start drops them."""
    target.run_all()
    stray = es_mappings.versioned_name(
        "movies", target.prefix, _with_extra_field(es_mappings.index_body("movies"))
    )
    target.es.indices.create(index=stray)

    report = target.run("movies")

    assert not target.es.indices.exists(index=stray)
    assert not report.created and report.replaced == []
    alias = target.index_name("movies")
    assert load.concrete_indices(target.es, alias) == [es_mappings.versioned_name("movies", target.prefix)]
