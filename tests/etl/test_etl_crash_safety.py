"""A run that dies between extracting and loading loses nothing and duplicates nothing."""

from __future__ import annotations

import psycopg
import pytest
from cinema_etl import pipeline, state
from etl_expected import assert_indices_match


def test_crash_before_loading_keeps_the_watermark_and_the_rerun_converges(target):
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
    before = {name: state.read(target.es, target.index(name)) for name in ("movies", "genres", "persons")}

    for name in ("movies", "genres", "persons"):
        with pytest.raises(pipeline.CrashForTest):
            target.run(name, fail_after_extract=True)
        assert state.read(target.es, target.index(name)) == before[name], name

    reports = target.run_all()
    assert reports["movies"].rows_read["film_work"] == 50
    assert_indices_match(target)  # also asserts no duplicate ids and equal counts
    after = state.read(target.es, target.index("movies"))
    assert after.watermark("film_work").key() > before["movies"].watermark("film_work").key()
