"""A run that dies between extracting and loading loses nothing and duplicates nothing."""

from __future__ import annotations

import psycopg
import pytest
import redis
from etl_expected import assert_indices_match

from cinema_etl import load, pipeline, state
from devtools.processes import free_port


class Crash(RuntimeError):
    """The fault injected in place of the bulk load, after a batch was extracted and built."""


def crash_instead_of_loading(es, index_name, documents, **kwargs):
    raise Crash(f"{index_name}: stopping after extracting {len(documents)} documents")


def test_crash_before_loading_keeps_the_position_and_the_rerun_converges(target, monkeypatch):
    target.run_all()
    with psycopg.connect(target.dsn) as conn:
        conn.execute(
            "UPDATE content.film_work SET title = title || ' (restored cut)', modified = now()"
            " WHERE id IN (SELECT id FROM content.film_work ORDER BY id LIMIT 50)"
        )
        conn.execute(
            "DELETE FROM content.genre_film_work WHERE id = (SELECT id FROM content.genre_film_work"
            " ORDER BY id LIMIT 1)"
        )
    before = {
        index: state.read(target.es, target.index_name(index)) for index in ("movies", "genres", "persons")
    }

    with monkeypatch.context() as patch:
        patch.setattr(load, "write", crash_instead_of_loading)
        for index in ("movies", "genres", "persons"):
            with pytest.raises(Crash):
                target.run(index)
            assert state.read(target.es, target.index_name(index)) == before[index], index

    reports = target.run_all()
    assert reports["movies"].rows_read["journal film_row"] == 50
    assert_indices_match(target)  # also asserts no duplicate ids and equal counts
    after = state.read(target.es, target.index_name("movies"))
    assert after.journal_xmax > before["movies"].journal_xmax


def test_a_generation_bump_that_failed_is_made_by_the_next_run(target):
    """Redis down at the end of a run that changed documents: the rerun finds those documents
    already in the index, and still bumps the generation so cached answers do not stay stale."""
    target.run_all()
    with psycopg.connect(target.dsn) as conn:
        conn.execute(
            "UPDATE content.film_work SET title = title || ' (festival cut)', modified = now()"
            " WHERE id IN (SELECT id FROM content.film_work ORDER BY id LIMIT 3)"
        )
    before = target.generation("movies")
    unreachable = redis.Redis(port=free_port(), socket_connect_timeout=1)
    with target.connect() as conn, pytest.raises(redis.ConnectionError):
        pipeline.IndexRun(conn, target.es, unreachable, "movies", target.prefix).run()
    assert target.generation("movies") == before

    report = target.run("movies")
    assert report.counts.written == 0  # the documents went in during the failed run
    assert report.generation == before + 1
    assert target.generation("movies") == before + 1
    assert target.run("movies").generation is None  # and only once
