"""Reconciliation: indices corrupted behind the ETL's back (documents deleted, altered, added)
are found range by range and repaired; a clean index is left untouched."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
from etl_expected import assert_indices_match, indexed_documents

from cinema_etl import pipeline
from cinema_etl.reconcile import Reconciliation, id_ranges

RANGE_SIZE = 100  # 999 films: ten ranges, so a repair touches only some of them


def reconcile(target, index: str):
    with target.connect() as conn:
        return Reconciliation(conn, target.es, target.cache, index, target.prefix, RANGE_SIZE).run()


def test_id_ranges_cover_the_uuid_space_without_overlap():
    ranges = id_ranges(950, 100)
    assert len(ranges) == 10
    assert ranges[0][0] == uuid.UUID(int=0) and ranges[-1][1] is None
    assert all(high == ranges[n + 1][0] for n, (_, high) in enumerate(ranges[:-1]))
    assert id_ranges(0) == [(uuid.UUID(int=0), None)]


def test_corrupted_indices_are_found_and_repaired(target):
    target.run_all()
    clean = {index: reconcile(target, index) for index in ("movies", "genres", "persons")}
    for index, report in clean.items():
        assert report.ranges_differing == 0 and report.repaired.changed == 0, (index, report.summary())
    assert clean["movies"].ranges_checked == 10 and clean["movies"].documents_checked == 999

    es, movies, persons = target.es, target.index_name("movies"), target.index_name("persons")
    genres = target.index_name("genres")
    docs = indexed_documents(es, movies)
    ids = sorted(docs)
    for doc_id in ids[:3]:
        es.delete(index=movies, id=doc_id)
    altered = dict(docs[ids[10]], title="Vandalised")
    es.index(index=movies, id=ids[10], document=altered)
    es.index(index=movies, id=ids[500], document=dict(docs[ids[500]], genres=[], genre_ids=[], genre_list=[]))
    ghost = str(uuid.uuid4())
    es.index(index=movies, id=ghost, document=dict(docs[ids[20]], id=ghost))
    es.index(index=movies, id="stray", document={"title": "no id field at all"})
    genre_id, genre = next(iter(indexed_documents(es, genres).items()))
    es.index(index=genres, id=genre_id, document=dict(genre, film_count=genre["film_count"] + 5))
    person_id = sorted(indexed_documents(es, persons))[7]
    es.delete(index=persons, id=person_id)
    es.indices.refresh(index=",".join((movies, genres, persons)))
    generation = target.generation("movies")

    reports = {index: reconcile(target, index) for index in ("movies", "genres", "persons")}

    m = reports["movies"]
    assert (m.missing, m.extra, m.different) == (3, 2, 2), m.summary()
    assert m.repaired.written == 5 and m.repaired.deleted == 2, m.summary()
    assert 1 <= m.ranges_differing < m.ranges_checked, m.summary()
    assert target.generation("movies") == generation + 1
    assert (reports["genres"].different, reports["genres"].repaired.written) == (1, 1)
    assert (reports["persons"].missing, reports["persons"].repaired.written) == (1, 1)
    summary = m.as_dict()
    assert summary["documents_repaired"] == 7 and summary["ranges_checked"] == 10
    assert_indices_match(target)

    again = {index: reconcile(target, index) for index in ("movies", "genres", "persons")}
    assert all(r.ranges_differing == 0 and r.repaired.changed == 0 for r in again.values())


def test_a_run_waits_for_the_index_writer_lock(target):
    """Two writers of one index never interleave: a run started while the lock is held (by a
    reconciliation, another run) waits, then finds the change committed meanwhile."""
    target.run_all()
    with psycopg.connect(target.dsn) as conn:
        film = conn.execute("SELECT id::text FROM content.film_work ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE content.film_work SET title = 'After the lock' WHERE id = %s", (film,))
    reports: list[pipeline.RunReport] = []
    with target.connect() as holder, pipeline.index_lock(holder, target.index_name("movies")):
        runner = threading.Thread(target=lambda: reports.append(target.run("movies")))
        runner.start()
        time.sleep(1.5)
        assert runner.is_alive() and not reports  # waiting for the lock
    runner.join(timeout=60)
    assert reports and reports[0].counts.written == 1
    target.es.indices.refresh(index=target.index_name("movies"))
    assert indexed_documents(target.es, target.index_name("movies"))[film]["title"] == "After the lock"
