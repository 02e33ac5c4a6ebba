"""The ETL with Elasticsearch or Postgres stopped in the middle of a run: the task fails, Airflow
retries it, the run succeeds once the service is back, and the index equals Postgres.

Airflow itself runs the DAG (`airflow dags test` from the airflow venv, with retries on) against a
scratch catalogue of generated films and a private index prefix. Its metadata lives in a
throwaway SQLite file, so stopping Postgres stops the catalogue, not the run's own bookkeeping.
The service is stopped once the load is under way and brought back (with the whole stack) only
after the task has failed and waits for its retry.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from elasticsearch import Elasticsearch, NotFoundError
from psycopg import sql
from stack_control import ROOT, STATE_DIR, run_stack, stopped, wait_for

import es_mappings
from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load
from cinema_etl import extract, pipeline
from cinema_etl.load import delete_indices

pytestmark = pytest.mark.slow

AIRFLOW = STATE_DIR / "venvs" / "airflow" / "bin" / "airflow"
# Large enough that a load takes many seconds on two cores: the fault lands in its middle.
FILMS = 20_000
# Retries wait 15 s, then 30 s, 60 s...: six cover a service that needs minutes to come back.
RETRIES = 6
REDIS_DB = 14  # the ETL tests' db; generation keys carry the index prefix


@pytest.fixture(scope="module")
def catalogue(stack) -> Iterator[str]:
    """A scratch database with a generated catalogue of FILMS films; returns its DSN."""
    name = f"test_system_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(stack.pg_dsn(name)) as conn:
            conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
            conn.commit()
            load(conn, seed=11, size=CatalogueSize(films=FILMS))
        yield stack.pg_dsn(name)
    finally:
        run_stack("up")  # a failed test may have left Postgres down
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def index_prefix(es) -> Iterator[str]:
    prefix = f"test_system_{uuid.uuid4().hex[:10]}_"
    yield prefix
    run_stack("up")  # the whole stack: a stopped Postgres can take Airflow's scheduler with it
    # the names are aliases now; Elasticsearch deletes only the versioned indices behind them
    delete_indices(es, [es_mappings.index_name(n, prefix) for n in es_mappings.INDICES])


def airflow_env(home: Path, catalogue_dsn: str, prefix: str, stack) -> dict[str, str]:
    """Airflow's settings for a run in `home` against this catalogue and index prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW_CONN_CATALOGUE_DB": catalogue_dsn,
            "AIRFLOW_CONN_ELASTICSEARCH": json.dumps(
                {"conn_type": "elasticsearch", "host": stack.es_host, "port": stack.es_port}
            ),
            "AIRFLOW_VAR_CINEMA_INDEX_PREFIX": prefix,
            "AIRFLOW_VAR_CINEMA_REDIS_URL": stack.redis_url(REDIS_DB),
            "CINEMA_ETL_RETRIES": str(RETRIES),
            "CINEMA_RESTORE_DIR": str(ROOT / "restore"),
        }
    )
    return env


@pytest.fixture(scope="module")
def metadata(tmp_path_factory, catalogue, stack) -> Path:
    """A migrated SQLite metadata database, copied by each run (migrating takes half a minute)."""
    assert AIRFLOW.exists(), "the airflow venv is made by `make up`"
    home = tmp_path_factory.mktemp("airflow-metadata")
    migrated = subprocess.run(
        [str(AIRFLOW), "db", "migrate"],
        env=airflow_env(home, catalogue, "", stack),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return home / "airflow.db"


@dataclass
class DagTest:
    """`airflow dags test DAG_ID` in the background, with its log and its SQLite metadata."""

    home: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, home: Path, metadata: Path, dag_id: str, env: dict[str, str]) -> DagTest:
        """Run `dag_id` in `home` with a copy of the migrated `metadata` database."""
        shutil.copy(metadata, home / "airflow.db")
        log = (home / "dags-test.log").open("wb")
        process = subprocess.Popen(
            [str(AIRFLOW), "dags", "test", dag_id],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return cls(home, process)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        return (self.home / "dags-test.log").read_text(errors="replace")[-5000:]

    def task(self) -> tuple[str | None, int]:
        """(state, try number) of the run's task, from the metadata database."""
        try:
            with sqlite3.connect(f"file:{self.home}/airflow.db?mode=ro", uri=True, timeout=10) as db:
                row = db.execute("SELECT state, try_number FROM task_instance").fetchone()
        except sqlite3.Error:
            return None, 0
        return (row[0], int(row[1])) if row else (None, 0)

    def stop(self) -> None:
        if self.running:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def indexed(es: Elasticsearch, index: str) -> int:
    """Documents Elasticsearch has accepted into `index` so far (refreshed or not)."""
    try:
        stats = es.indices.stats(index=index, metric="indexing")
    except NotFoundError:
        return 0
    # `index` is an alias: the stats are keyed by the versioned index behind it. An index whose
    # shard is not started yet has no entry.
    return sum(
        int(entry.get("primaries", {}).get("indexing", {}).get("index_total", 0))
        for entry in stats["indices"].values()
    )


def _text(value: str | None) -> str | None:
    return value if value is not None and value.strip() not in ("", "N/A", "n/a") else None


def expected_index(dsn: str, name: str) -> dict[str, dict[str, Any]]:
    """A few fields of every document the index must hold, read from Postgres."""
    with psycopg.connect(dsn) as conn:
        if name == es_mappings.MOVIES:
            rows = conn.execute(
                "SELECT fw.id::text, fw.title, fw.rating,"
                " COALESCE(array_agg(gfw.genre_id::text) FILTER (WHERE gfw.genre_id IS NOT NULL), '{}')"
                " FROM content.film_work fw"
                " LEFT JOIN content.genre_film_work gfw ON gfw.film_work_id = fw.id GROUP BY fw.id"
            ).fetchall()
            return {
                i: {"title": _text(title), "imdb_rating": rating, "genre_ids": sorted(genres)}
                for i, title, rating, genres in rows
            }
        rows = conn.execute(
            "SELECT p.id::text, p.full_name,"
            " COALESCE(array_agg(DISTINCT pfw.film_work_id::text)"
            "   FILTER (WHERE pfw.film_work_id IS NOT NULL), '{}')"
            " FROM content.person p"
            " LEFT JOIN content.person_film_work pfw ON pfw.person_id = p.id GROUP BY p.id"
        ).fetchall()
        return {i: {"full_name": n, "films": sorted(films)} for i, n, films in rows if _text(n)}


def indexed_documents(es: Elasticsearch, index: str, name: str) -> dict[str, dict[str, Any]]:
    """The same fields of every document in the index (search_after paging)."""
    es.indices.refresh(index=index)
    movies = name == es_mappings.MOVIES
    fields = ["title", "imdb_rating", "genre_ids"] if movies else ["full_name", "films.id"]
    documents: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        hits = es.search(
            index=index,
            size=5000,
            sort=[{"id": "asc"}],
            search_after=after,
            source=fields,
            track_total_hits=False,
        )["hits"]["hits"]
        for hit in hits:
            doc = hit["_source"]
            if movies:
                documents[hit["_id"]] = {**doc, "genre_ids": sorted(doc.get("genre_ids") or [])}
            else:
                films = sorted(film["id"] for film in doc.get("films") or [])
                documents[hit["_id"]] = {"full_name": doc["full_name"], "films": films}
        if len(hits) < 5000:
            return documents
        after = hits[-1]["sort"]


def assert_index_equals_postgres(es: Elasticsearch, dsn: str, prefix: str, name: str) -> None:
    expected = expected_index(dsn, name)
    actual = indexed_documents(es, es_mappings.index_name(name, prefix), name)
    missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
    assert not missing and not extra, f"{name}: missing {missing[:5]}, extra {extra[:5]}"
    differing = [i for i in expected if actual[i] != expected[i]]
    assert not differing, f"{name}: {len(differing)} documents differ, e.g. {actual[differing[0]]}"


@pytest.mark.parametrize(
    ("service", "dag_id", "name", "under_way"),
    [
        ("elasticsearch", "films_etl", es_mappings.MOVIES, 1_000),
        ("postgres", "persons_etl", es_mappings.PERSONS, 10_000),
    ],
)
def test_a_run_survives_a_service_stopped_in_its_middle(
    service, dag_id, name, under_way, catalogue, metadata, index_prefix, es, stack, tmp_path
):
    # Another index exists, so the DAG loads instead of waiting for the snapshot restore.
    with extract.connect(catalogue) as conn:
        pipeline.IndexRun(conn, es, None, es_mappings.GENRES, index_prefix).run()
    index = es_mappings.index_name(name, index_prefix)
    started = time.monotonic()
    env = airflow_env(tmp_path, catalogue, index_prefix, stack)
    run = DagTest.start(tmp_path, metadata, dag_id, env)
    try:
        wait_for(
            f"the {dag_id} load to be under way",
            lambda: not run.running or indexed(es, index) >= under_way,
            timeout=300,
        )
        assert run.running, f"the run ended before {service} could be stopped:\n{run.log_tail()}"
        with stopped(service):
            stopped_at = time.monotonic()
            wait_for(
                f"the {dag_id} task to fail and wait for a retry",
                lambda: not run.running or run.task()[0] == "up_for_retry",
                timeout=300,
            )
            assert run.running, f"the run ended while {service} was down:\n{run.log_tail()}"
        back_at = time.monotonic()
        assert run.process.wait(timeout=900) == 0, run.log_tail()
    finally:
        run.stop()
    state, tries = run.task()
    print(
        f"\n{dag_id} with {service} stopped: stopped {stopped_at - started:.0f}s after the start,"
        f" back after {back_at - stopped_at:.0f}s, run done after {time.monotonic() - started:.0f}s,"
        f" {tries} tries"
    )
    assert state == "success"
    assert tries >= 2, "the task never retried: the fault missed the run"
    assert_index_equals_postgres(es, catalogue, index_prefix, name)
