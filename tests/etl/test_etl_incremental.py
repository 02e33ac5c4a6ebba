"""Incremental runs: every kind of change reaches the indices, and an idle run writes nothing."""

from __future__ import annotations

import time
import uuid

import psycopg
from etl_expected import assert_indices_match, indexed_documents

LINK_GENRE = (
    "INSERT INTO content.genre_film_work (id, genre_id, film_work_id) VALUES (gen_random_uuid(), %s, %s)"
)


def _mutate(dsn: str) -> dict[str, str]:
    """The changes of the issue, committed like an editor would (bumping `modified` on edits)."""
    with psycopg.connect(dsn) as conn:
        film = conn.execute(
            "SELECT id::text FROM content.film_work ORDER BY id LIMIT 1 OFFSET 10"
        ).fetchone()[0]
        conn.execute(
            "UPDATE content.film_work SET title = 'Retitled Film', modified = now() WHERE id = %s", (film,)
        )

        person = conn.execute(
            "SELECT person_id::text FROM content.person_film_work l"
            " JOIN content.person p ON p.id = l.person_id"
            " WHERE p.full_name <> 'N/A' GROUP BY person_id HAVING count(DISTINCT film_work_id) >= 3"
            " ORDER BY person_id LIMIT 1"
        ).fetchone()[0]
        conn.execute(
            "UPDATE content.person SET full_name = 'Renamed Person', modified = now() WHERE id = %s",
            (person,),
        )

        link_film = conn.execute(
            "SELECT id::text FROM content.film_work ORDER BY id LIMIT 1 OFFSET 20"
        ).fetchone()[0]
        new_genre = conn.execute(
            "SELECT id::text FROM content.genre WHERE id NOT IN"
            " (SELECT genre_id FROM content.genre_film_work WHERE film_work_id = %s) ORDER BY id LIMIT 1",
            (link_film,),
        ).fetchone()[0]
        conn.execute(
            LINK_GENRE,
            (new_genre, link_film),
        )
        removed_link = conn.execute(
            "DELETE FROM content.genre_film_work WHERE id = (SELECT id FROM content.genre_film_work"
            " WHERE film_work_id <> %s ORDER BY id LIMIT 1) RETURNING film_work_id::text, genre_id::text",
            (link_film,),
        ).fetchone()

        deleted_film = conn.execute(
            "DELETE FROM content.film_work WHERE id ="
            " (SELECT id FROM content.film_work ORDER BY id DESC LIMIT 1)"
            " RETURNING id::text"
        ).fetchone()[0]
        deleted_person = conn.execute(
            "DELETE FROM content.person WHERE id = (SELECT person_id FROM content.person_film_work l"
            " JOIN content.person p ON p.id = l.person_id WHERE p.full_name <> 'N/A'"
            " GROUP BY person_id ORDER BY count(*) DESC, person_id LIMIT 1) RETURNING id::text"
        ).fetchone()[0]

        # 500 films sharing one `modified` value, each with a genre and an actor.
        stamp = conn.execute("SELECT now() - interval '1 second'").fetchone()[0]
        genre = conn.execute("SELECT id FROM content.genre ORDER BY id LIMIT 1").fetchone()[0]
        actor = conn.execute(
            "SELECT id FROM content.person WHERE full_name <> 'N/A' ORDER BY id LIMIT 1"
        ).fetchone()[0]
        new_films = [uuid.uuid4() for _ in range(500)]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO content.film_work (id, title, description, rating, type, created, modified)"
                " VALUES (%s, %s, 'N/A', 5.5, 'movie', %s, %s)",
                [(f, f"Batch film {n}", stamp, stamp) for n, f in enumerate(new_films)],
            )
            cur.executemany(
                LINK_GENRE,
                [(genre, f) for f in new_films],
            )
            cur.executemany(
                "INSERT INTO content.person_film_work (id, person_id, film_work_id, role)"
                " VALUES (gen_random_uuid(), %s, %s, 'actor')",
                [(actor, f) for f in new_films],
            )
        conn.commit()
    return {
        "film": film,
        "person": person,
        "link_film": link_film,
        "new_genre": new_genre,
        "unlinked_film": removed_link[0],
        "unlinked_genre": removed_link[1],
        "deleted_film": deleted_film,
        "deleted_person": deleted_person,
    }


def test_changes_converge_in_one_run_and_an_idle_run_writes_nothing(target):
    target.run_all(batch_size=200)  # small pages: the 500 same-stamp films span several
    generations = {index: target.generation(index) for index in ("movies", "genres", "persons")}
    changed = _mutate(target.dsn)

    reports = target.run_all(batch_size=200)

    expected = assert_indices_match(target)
    movies = indexed_documents(target.es, target.index_name("movies"))
    assert movies[changed["film"]]["title"] == "Retitled Film"
    renamed_in = [
        d
        for d in movies.values()
        if any(p["id"] == changed["person"] for p in d["actors"] + d["writers"] + d["directors"])
    ]
    assert len(renamed_in) >= 3
    assert all(
        "Renamed Person" in d["actors_names"] + d["writers_names"] + d["directors_names"] for d in renamed_in
    )
    assert changed["new_genre"] in movies[changed["link_film"]]["genre_ids"]
    assert changed["unlinked_genre"] not in movies[changed["unlinked_film"]]["genre_ids"]
    assert changed["deleted_film"] not in movies
    assert changed["deleted_person"] not in indexed_documents(target.es, target.index_name("persons"))
    assert all(changed["deleted_person"] not in [p["id"] for p in d["actors"]] for d in movies.values())
    assert len(movies) == len(expected["movies"]) == 999 - 1 + 500
    for index, report in reports.items():
        assert report.changed, index
        assert target.generation(index) == generations[index] + 1, index

    idle = target.run_all(batch_size=200)
    for index, report in idle.items():
        assert report.rows_read == {}, (index, report.rows_read)
        assert report.counts.changed == 0 and report.counts.unchanged == 0, index
        assert target.generation(index) == generations[index] + 1, index
    assert_indices_match(target)


def test_a_long_transaction_that_commits_late_is_not_skipped(target):
    """Transaction A journals a link first but commits after B and after a run: not lost."""
    target.run_all()
    with psycopg.connect(target.dsn) as a, psycopg.connect(target.dsn, autocommit=True) as b:
        films = [row[0] for row in b.execute("SELECT id::text FROM content.film_work ORDER BY id LIMIT 2")]
        genre = b.execute(
            "SELECT id::text FROM content.genre WHERE id NOT IN (SELECT genre_id FROM content.genre_film_work"
            " WHERE film_work_id = ANY(%s::uuid[])) ORDER BY id LIMIT 1",
            (films,),
        ).fetchone()[0]
        a.execute(LINK_GENRE, (genre, films[0]))  # A: journalled first, still open
        b.execute(LINK_GENRE, (genre, films[1]))  # B: journalled later, committed now
        target.run_all()
        movies = indexed_documents(target.es, target.index_name("movies"))
        assert genre in movies[films[1]]["genre_ids"]
        assert genre not in movies[films[0]]["genre_ids"]
        a.commit()
    target.run_all()
    assert genre in indexed_documents(target.es, target.index_name("movies"))[films[0]]["genre_ids"]
    assert_indices_match(target)


def test_a_bumped_generation_finds_the_run_searchable(target):
    """The API caches search answers under the generation: once it is bumped, searches must
    already see the run's documents (not only after the next scheduled refresh)."""
    target.run_all()
    # No scheduled refresh falls inside the test: only the run itself can make the edit searchable.
    no_refresh = {"index": {"refresh_interval": "-1"}}
    target.es.indices.put_settings(index=target.index_name("movies"), settings=no_refresh)
    with psycopg.connect(target.dsn) as conn:
        film_id = conn.execute("SELECT id::text FROM content.film_work ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute(
            "UPDATE content.film_work SET title = 'Searchable at once', modified = now() WHERE id = %s",
            (film_id,),
        )
    report = target.run("movies")
    assert report.generation is not None
    hits = target.es.search(index=target.index_name("movies"), query={"ids": {"values": [film_id]}})
    assert [hit["_source"]["title"] for hit in hits["hits"]["hits"]] == ["Searchable at once"]


def test_statements_that_ignore_modified_still_arrive(target):
    """The issue's misses: UPDATE without `modified`, COPY of rows with an old `modified`, and
    TRUNCATE of a link table, each reaches every index in one run."""
    target.run_all()
    with psycopg.connect(target.dsn) as conn:
        conn.execute("UPDATE content.genre SET name = upper(name)")
        film = conn.execute("SELECT id::text FROM content.film_work ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE content.film_work SET title = 'Quietly retitled' WHERE id = %s", (film,))
        copied = str(uuid.uuid4())
        with conn.cursor().copy(
            "COPY content.film_work (id, title, type, created, modified) FROM STDIN"
        ) as copy:
            copy.write_row((copied, "Copied in", "movie", "1990-01-01", "1990-01-01"))
        conn.commit()
    target.run_all()
    movies = assert_indices_match(target)["movies"]
    assert movies[film]["title"] == "Quietly retitled"
    assert copied in movies
    assert all(name == name.upper() for doc in movies.values() for name in doc["genres"])

    with psycopg.connect(target.dsn) as conn:
        conn.execute("TRUNCATE content.genre_film_work")
    reports = target.run_all()
    expected = assert_indices_match(target)
    assert all(doc["genres"] == [] for doc in expected["movies"].values())
    assert all(doc["film_count"] == 0 for doc in expected["genres"].values())
    assert reports["persons"].counts.changed == 0  # people do not show genres


def test_a_run_reports_the_lag_it_found_and_left(target):
    """Journal backlog and the age of the oldest change not yet indexed, before and after a run."""
    target.run_all()
    with psycopg.connect(target.dsn) as conn:
        conn.execute(
            "UPDATE content.film_work SET rating = 9.9"
            " WHERE id IN (SELECT id FROM content.film_work ORDER BY id LIMIT 4)"
        )
    time.sleep(1.5)
    report = target.run("movies")
    assert report.lag_before.rows == 4
    assert report.lag_before.oldest_age_seconds >= 1.5
    assert report.lag_after.rows == 0 and report.lag_after.oldest_age_seconds is None
    assert report.rows_read == {"journal film_row": 4}
    summary = report.as_dict()
    assert summary["journal_backlog_at_start"] == 4 and summary["journal_backlog_at_end"] == 0
    assert summary["written"] == 4 and summary["seconds"] > 0
    idle = target.run("movies")
    assert idle.lag_before.rows == 0 and idle.lag_before.oldest_age_seconds is None
