"""The DAGs under Airflow itself (its own venv, run as subprocesses): the folder imports cleanly,
`airflow dags test` restores and loads a scratch catalogue, and an api-server started here lists
the six DAGs and runs one triggered through the REST API to success."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = ROOT / ".state" / "venvs" / "airflow" / "bin"
DAG_IDS = {
    "restore_postgres",
    "restore_elasticsearch",
    "films_etl",
    "genres_etl",
    "persons_etl",
    "reconcile_indices",
}
API_PORT = 8089

pytestmark = pytest.mark.slow


def airflow_env(home: Path, metadata_url: str, catalogue_dsn: str, prefix: str, stack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API__PORT": str(API_PORT),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{API_PORT}/execution/",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW_CONN_CATALOGUE_DB": catalogue_dsn,
            "AIRFLOW_CONN_ELASTICSEARCH": json.dumps(
                {"conn_type": "elasticsearch", "host": "127.0.0.1", "port": stack.es_port}
            ),
            "AIRFLOW_VAR_CINEMA_INDEX_PREFIX": prefix,
            "AIRFLOW_VAR_CINEMA_REDIS_URL": stack.redis_url(14),
            "CINEMA_ETL_RETRIES": "0",
            "PG_RESTORE": os.environ.get("PG_RESTORE", "/usr/lib/postgresql/15/bin/pg_restore"),
            "CINEMA_RESTORE_DIR": str(ROOT / "restore"),
            "PATH": f"{AIRFLOW_BIN}:{os.environ['PATH']}",
        }
    )
    (home / "passwords.json").write_text(json.dumps({"admin": "test-admin-password"}), encoding="utf-8")
    return env


def airflow(env: dict[str, str], *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AIRFLOW_BIN / "airflow"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def sqlite_airflow(tmp_path, scratch_database, index_prefix, stack) -> tuple[dict[str, str], str]:
    """A migrated throwaway Airflow home (SQLite) whose `catalogue_db` is an empty scratch database."""
    assert (AIRFLOW_BIN / "airflow").exists(), "the airflow venv is made by `make up`"
    dsn = scratch_database()
    env = airflow_env(tmp_path, f"sqlite:///{tmp_path}/airflow.db", dsn, index_prefix, stack)
    migrated = airflow(env, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return env, dsn


def test_dag_folder_imports_without_errors(tmp_path):
    script = (
        # As the dag-processor parses it: the bundle's folder on the import path (dag_factory).
        "import json; from airflow.dag_processing.dagbag import BundleDagBag;"
        f" bag = BundleDagBag({str(ROOT / 'dags')!r}, bundle_path={str(ROOT / 'dags')!r},"
        " bundle_name='dags-folder');"
        " print(json.dumps({'errors': {k: str(v) for k, v in bag.import_errors.items()},"
        " 'dags': {d: bool(bag.dags[d].doc_md) for d in bag.dag_ids}}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path}/airflow.db",
    )
    done = subprocess.run(
        [str(AIRFLOW_BIN / "python"), "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert set(result["dags"]) == DAG_IDS
    assert all(result["dags"].values()), "every DAG has a doc_md"


def _count(es, index: str) -> int:
    es.indices.refresh(index=index)
    return es.count(index=index)["count"]


def test_dags_restore_and_load_a_scratch_catalogue(sqlite_airflow, es, index_prefix):
    env, dsn = sqlite_airflow

    restored = airflow(env, "dags", "test", "restore_postgres")
    assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-3000:]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM content.film_work").fetchone()[0] == 999
        conn.execute(
            "UPDATE content.film_work SET title = 'Edited before the second restore' WHERE id ="
            " (SELECT id FROM content.film_work ORDER BY id LIMIT 1)"
        )

    skipped = airflow(env, "dags", "test", "restore_postgres")
    assert skipped.returncode == 0
    assert "left untouched" in skipped.stdout + skipped.stderr
    with psycopg.connect(dsn) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM content.film_work WHERE title = 'Edited before the second restore'"
            ).fetchone()[0]
            == 1
        )

    # No index yet: the ETL's first task skips and waits for the snapshot restore.
    waiting = airflow(env, "dags", "test", "films_etl")
    assert waiting.returncode == 0
    assert not es.indices.exists(index=f"{index_prefix}movies")

    snapshot = airflow(env, "dags", "test", "restore_elasticsearch")
    assert snapshot.returncode == 0, snapshot.stdout[-3000:]
    assert _count(es, f"{index_prefix}genres") == 26

    for dag_id in ("films_etl", "genres_etl", "persons_etl"):
        run = airflow(env, "dags", "test", dag_id)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert _count(es, f"{index_prefix}movies") == 999
    assert _count(es, f"{index_prefix}persons") == 4193
    edited = es.search(
        index=f"{index_prefix}movies", query={"term": {"title.raw": "Edited before the second restore"}}
    )
    assert edited["hits"]["total"]["value"] == 1

    # A document deleted behind the ETL's back: reconcile_indices puts it back.
    victim = es.search(index=f"{index_prefix}movies", size=1, sort=[{"id": "asc"}])["hits"]["hits"][0]["_id"]
    es.delete(index=f"{index_prefix}movies", id=victim, refresh=True)
    reconciled = airflow(env, "dags", "test", "reconcile_indices")
    assert reconciled.returncode == 0, reconciled.stdout[-3000:] + reconciled.stderr[-3000:]
    assert "1 missing" in reconciled.stdout + reconciled.stderr
    assert es.exists(index=f"{index_prefix}movies", id=victim)


@pytest.fixture
def api_server(tmp_path, stack, scratch_database, index_prefix) -> Iterator[tuple[str, str]]:
    """api-server on 8089, scheduler and dag-processor with a Postgres metadata database."""
    assert (AIRFLOW_BIN / "airflow").exists(), "the airflow venv is made by `make up`"
    meta_db = f"test_etl_airflow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(meta_db)))
    catalogue = scratch_database()
    meta_url = stack.pg_dsn(meta_db).replace("postgresql://", "postgresql+psycopg://", 1)
    env = airflow_env(tmp_path, meta_url, catalogue, index_prefix, stack)
    processes: list[subprocess.Popen] = []
    try:
        migrated = airflow(env, "db", "migrate")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        for command in ("api-server", "scheduler", "dag-processor"):
            log = (tmp_path / f"{command}.log").open("w")
            processes.append(
                subprocess.Popen(
                    [str(AIRFLOW_BIN / "airflow"), command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield f"http://127.0.0.1:{API_PORT}", catalogue
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(meta_db)))


def _wait(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(2)


def test_api_server_lists_the_dags_and_runs_a_triggered_one(api_server, es, index_prefix):
    base, catalogue_dsn = api_server
    from catalogue import SCHEMA_SQL
    from catalogue.generator import CatalogueSize, load  # the scratch catalogue: 200 generated films

    with psycopg.connect(catalogue_dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        load(conn, seed=7, size=CatalogueSize(films=200))
    with httpx.Client(base_url=base, timeout=30) as client:
        _wait("the api-server", lambda: client.get("/api/v2/monitor/health").status_code == 200, 180)
        token = client.post("/auth/token", json={"username": "admin", "password": "test-admin-password"})
        assert token.status_code in (200, 201), token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

        def listed():
            response = client.get("/api/v2/dags", params={"limit": 100})
            ids = (
                {dag["dag_id"] for dag in response.json().get("dags", [])}
                if response.status_code == 200
                else set()
            )
            return ids if DAG_IDS <= ids else None

        assert _wait("the six DAGs to be parsed", listed, 180) >= DAG_IDS

        def run_to_the_end(dag_id: str) -> str:
            unpaused = client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False})
            assert unpaused.status_code == 200, unpaused.text
            triggered = client.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
            assert triggered.status_code == 200, triggered.text
            run_id = triggered.json()["dag_run_id"]

            def finished():
                state = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json().get("state")
                return state if state in ("success", "failed") else None

            assert _wait(f"the triggered {dag_id} run", finished, 300) == "success"
            return run_id

        # The indices come from the snapshot first (the ETL waits for that), then genres_etl
        # resyncs the genres index against this 200-film catalogue.
        run_to_the_end("restore_elasticsearch")
        run_id = run_to_the_end("genres_etl")
        task = client.get(f"/api/v2/dags/genres_etl/dagRuns/{run_id}/taskInstances/sync_genres").json()
        assert task["state"] == "success", task
    es.indices.refresh(index=f"{index_prefix}genres")
    assert es.count(index=f"{index_prefix}genres")["count"] == 26
    with psycopg.connect(catalogue_dsn) as conn:
        links = conn.execute("SELECT count(*) FROM content.genre_film_work").fetchone()[0]
    counted = es.search(
        index=f"{index_prefix}genres", size=0, aggs={"films": {"sum": {"field": "film_count"}}}
    )
    assert counted["aggregations"]["films"]["value"] == links  # the snapshot's counts were replaced
