"""The Airflow side: DAG definitions built from the plain modules of the `cinema_etl` package.

Only the DAG files of this folder import this module (it needs Airflow; Airflow puts its DAG
folder on the import path, and `.airflowignore` keeps it from being parsed as a DAG file);
everything it calls runs without Airflow.
Settings read at parse time come from the environment (schedules, retries); settings read at run
time are Airflow Variables (index prefix, batch size, Redis URL), which `AIRFLOW_VAR_*` can set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import redis
from airflow.providers.elasticsearch.hooks.elasticsearch import ElasticsearchSQLHook
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import DAG, Asset, AssetOrTimeSchedule, AssetWatcher, CronTriggerTimetable, Variable, task
from airflow.sdk.exceptions import AirflowSkipException
from elasticsearch import Elasticsearch

import es_mappings
from cinema_etl import extract, journal, pipeline, reconcile, restore
from cinema_etl import metrics as etl_metrics
from cinema_etl.journal_watch import JournalNotifyTrigger

log = logging.getLogger(__name__)

CATALOGUE_CONN = "catalogue_db"
ELASTICSEARCH_CONN = "elasticsearch"
START = datetime(2024, 1, 1, tzinfo=UTC)

ETL_SCHEDULE = os.environ.get("CINEMA_ETL_SCHEDULE", "* * * * *")
RESTORE_SCHEDULE = os.environ.get("CINEMA_RESTORE_SCHEDULE", "*/10 * * * *")
RECONCILE_SCHEDULE = os.environ.get("CINEMA_RECONCILE_SCHEDULE", "30 3 * * *")
RETRIES = int(os.environ.get("CINEMA_ETL_RETRIES", "3"))
# "0" schedules the ETL DAGs on the cron alone (no triggerer needed).
ETL_ON_CHANGES = os.environ.get("CINEMA_ETL_ON_CHANGES", "1") != "0"

# Updated by the triggerer whenever the journal NOTIFYs (see cinema_etl.journal_watch): the ETL
# DAGs run on it within about a second of a commit, and on their cron schedule as a safety net.
CATALOGUE_CHANGES = Asset(
    name="cinema_catalogue_changes",
    watchers=[AssetWatcher(name="catalogue_journal_notify", trigger=JournalNotifyTrigger(CATALOGUE_CONN))],
)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-engineering",
    "retries": RETRIES,
    "retry_delay": timedelta(seconds=15),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=5),
}


def index_prefix() -> str:
    return str(Variable.get("cinema_index_prefix", default=""))


def catalogue_dsn() -> str:
    """A libpq DSN from the `catalogue_db` connection (for pg_restore and our own connections)."""
    uri: str = PostgresHook(postgres_conn_id=CATALOGUE_CONN).get_uri()
    return uri.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


def catalogue_connection() -> psycopg.Connection:
    conn: psycopg.Connection = PostgresHook(postgres_conn_id=CATALOGUE_CONN).get_conn()
    extract.prepare(conn)
    return conn


def elasticsearch_client() -> Elasticsearch:
    client: Elasticsearch = ElasticsearchSQLHook(elasticsearch_conn_id=ELASTICSEARCH_CONN).get_conn().es
    return client.options(request_timeout=120)


def cache_client() -> redis.Redis:
    url = str(Variable.get("cinema_redis_url", default="redis://127.0.0.1:6379/0"))
    return redis.Redis.from_url(url, socket_timeout=10)


# What the UI shows beside each ETL DAG: what is particular to its index. How a run works (the
# journal, the state, placeholders) is explained once, in README.md.
ETL_DOC = """
### {dag_id}: keeps the `{index}` index in step with Postgres

Each run brings `{index}` (created from `es_mappings/{index}.json` when missing; when that
mapping changed, rebuilt beside the old index and swapped in by its alias, listed under
`replaced`) to the catalogue's current state and writes only what changed, as recorded by the journal
(`etl.journal`, filled by triggers on every catalogue table, whatever the statement: UPDATE
without `modified`, COPY, TRUNCATE): `content.{table}` rows and their links; {related}. When the
index changed, its generation key in Redis is bumped, so the content API's cache moves on{extra}.

**Reading a run** (the task's XCom `return_value`, and the last line of its log):
`rows_read` counts what was read from Postgres (`{table}`: rows of a first load or resync,
`journal <kind>`: journalled ids, `... linked`: documents found through links); `written`,
`deleted`, `unchanged` what Elasticsearch did; `journal_backlog_at_start` and
`oldest_unindexed_change_age_s_at_start` the changes this run found waiting and how long the
oldest had waited (the index's lag when the run began); `..._at_end` what was committed while it
ran, for the next run (0 and null: the index is current); `seconds` the run's duration. A lag
growing from run to run means the ETL falls behind; a backlog 0 with changes expected means
nothing is being written to Postgres.

Settings: Variables `cinema_index_prefix`, `cinema_etl_batch_size` (1000), `cinema_redis_url`;
connections `{catalogue}` and `{es}`. Runs when the asset `cinema_catalogue_changes` is updated
(the triggerer's watcher of the journal's NOTIFY, about a second after a commit) and on
`CINEMA_ETL_SCHEDULE` (every minute) as a safety net; one active run at a time. Skipped while the
catalogue is not restored, or while no index exists yet (`restore_elasticsearch` goes first).
How a run works: README.md, "Airflow: restores and the ETL".
"""

_RELATED = {
    es_mappings.MOVIES: "renamed people and genres rebuild every film that shows them",
    es_mappings.GENRES: "a genre document only counts its films (link changes come from the journal)",
    es_mappings.PERSONS: "retitled or re-rated films rebuild every person document that lists them",
}
_EXTRA = {
    es_mappings.MOVIES: "",
    es_mappings.GENRES: ". It holds every genre with a real name, `film_count` 0 when unused",
    es_mappings.PERSONS: ". It holds every person with a real name ('N/A' is not indexed), `films: []` "
    "when not linked to any film",
}


def _cinema_dag(dag_id: str, schedule: Any, doc_md: str, kind: str, **options: Any) -> DAG:
    """What every DAG of ours shares: one active run, no catch-up, our retries, docs and tags."""
    return DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
        tags=["cinema", kind],
        **options,
    )


def etl_dag(dag_id: str, index: str) -> DAG:
    """The incremental DAG of `index`."""
    spec = pipeline.SPECS[index]
    doc = ETL_DOC.format(
        dag_id=dag_id,
        index=index,
        table=spec.table,
        related=_RELATED[index],
        extra=_EXTRA[index],
        catalogue=CATALOGUE_CONN,
        es=ELASTICSEARCH_CONN,
    )
    schedule: Any = ETL_SCHEDULE
    if ETL_ON_CHANGES:
        schedule = AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(ETL_SCHEDULE, timezone="UTC"), assets=[CATALOGUE_CHANGES]
        )
    with _cinema_dag(dag_id, schedule, doc, "etl", dagrun_timeout=timedelta(hours=2)) as dag:
        # Airflow lives in its own venv, not in the dev one mypy runs in: `task` is Any there.
        @task(task_id=f"sync_{index}")  # type: ignore[untyped-decorator]
        def sync() -> dict[str, Any]:
            """Load what changed since the stored state; see the DAG docs.

            One task per run on purpose: every task costs a process start, and these run every minute.
            """
            batch_size = int(Variable.get("cinema_etl_batch_size", default="1000"))
            prefix = index_prefix()
            es = elasticsearch_client()
            with catalogue_connection() as conn:
                if not journal.catalogue_exists(conn):
                    raise AirflowSkipException("the catalogue is not restored yet (restore_postgres)")
                index_names = [es_mappings.index_name(each, prefix) for each in es_mappings.INDICES]
                if (
                    not any(es.indices.exists(index=index_name) for index_name in index_names)
                    and restore.Backups.from_environment().has_snapshot()
                ):
                    raise AirflowSkipException(
                        "no index yet: restore_elasticsearch restores them from the snapshot"
                    )
                report = pipeline.IndexRun(conn, es, cache_client(), index, prefix, batch_size).run()
            try:
                etl_metrics.write(report)  # for Prometheus, when ETL_METRICS_DIR is set
            except OSError as error:
                # The figures are for watching the sync, which has done its work: not a failure.
                log.warning(
                    "ETL metrics not written to %s: %s", os.environ.get(etl_metrics.DIRECTORY_VARIABLE), error
                )
            return report.as_dict()

        sync()
    return dag


RESTORE_POSTGRES_DOC = """
### restore_postgres: the catalogue from `restore/catalogue.dump`

When the catalogue database (connection `catalogue_db`) has no `content` schema, or its tables hold
no rows, restore the pg_dump backup with `pg_restore` in one transaction. Otherwise the task is
**skipped** (grey in the UI) and nothing is touched: it never overwrites existing data.
Runs when created and then on `CINEMA_RESTORE_SCHEDULE` (default every 10 minutes); `make up` also
triggers it when the catalogue is empty.
"""

RESTORE_ES_DOC = """
### restore_elasticsearch: the indices from the snapshot in `restore/elasticsearch/`

For every index (`movies`, `genres`, `persons`, with the `cinema_index_prefix` Variable) that is
missing, register the read-only filesystem repository `cinema_restore` (location `elasticsearch`,
relative to `path.repo`, which is `restore/` in both stacks) and restore it from snapshot
`catalogue`. Indices that exist are left alone; when none is missing the task is **skipped**.
The snapshot is made from the default catalogue by `make es-snapshot` (load with the ETL, then
snapshot). The restored indices carry the ETL state of the snapshot's build database, so the next
ETL run resyncs them against this catalogue (unchanged documents are skipped).
"""


def _restore_dag(dag_id: str, doc_md: str, task_id: str, run: Callable[[], restore.Outcome]) -> DAG:
    """A one-task DAG that restores something, or is visibly skipped when there is no need."""
    with _cinema_dag(dag_id, RESTORE_SCHEDULE, doc_md, "restore") as dag:

        @task(task_id=task_id)  # type: ignore[untyped-decorator]  # Any without Airflow, as above
        def restore_task() -> str:
            outcome = run()
            if not outcome.restored:
                raise AirflowSkipException(outcome.reason)
            return outcome.reason

        restore_task()
    return dag


def restore_postgres_dag() -> DAG:
    return _restore_dag(
        "restore_postgres",
        RESTORE_POSTGRES_DOC,
        "restore_catalogue",
        lambda: restore.restore_postgres(catalogue_dsn(), restore.Backups.from_environment()),
    )


def restore_elasticsearch_dag() -> DAG:
    return _restore_dag(
        "restore_elasticsearch",
        RESTORE_ES_DOC,
        "restore_indices",
        lambda: restore.restore_elasticsearch(
            elasticsearch_client(), restore.Backups.from_environment(), index_prefix()
        ),
    )


RECONCILE_DOC = """
### reconcile_indices: every index compared with Postgres, and repaired where it differs

Daily (`CINEMA_RECONCILE_SCHEDULE`, default 03:30 UTC) and on demand (the trigger button), one
task per index. Each cuts the id space into ranges of about 1,000 rows, compares per range the
count and a checksum of the documents Postgres gives (built as the ETL builds them) with the
index's, and only where a range differs compares document by document and repairs: rebuilds what
is missing or different, deletes what has no row. It holds the index's writer lock only while
repairing, so ETL runs wait at most for the repair.

**Reading a run** (each task's XCom `return_value` and last log line): `ranges_checked`,
`documents_checked`, `ranges_differing`; `missing`, `extra`, `different` documents found;
`documents_repaired` (`written` + `deleted`); `seconds`. Anything but 0 differing means something
wrote to the index or the catalogue behind the ETL's back (or with triggers disabled): worth
finding out what. Skipped while the catalogue is not restored or the index does not exist.
"""


def reconcile_dag() -> DAG:
    """Daily and on-demand reconciliation of the three indices, one task each."""
    with _cinema_dag(
        "reconcile_indices", RECONCILE_SCHEDULE, RECONCILE_DOC, "reconcile", dagrun_timeout=timedelta(hours=6)
    ) as dag:
        for index in es_mappings.INDICES:

            @task(task_id=f"reconcile_{index}")  # type: ignore[untyped-decorator]  # Any without Airflow
            def reconcile_task(index: str = index) -> dict[str, Any]:
                prefix = index_prefix()
                es = elasticsearch_client()
                with catalogue_connection() as conn:
                    if not journal.catalogue_exists(conn):
                        raise AirflowSkipException("the catalogue is not restored yet (restore_postgres)")
                    if not es.indices.exists(index=es_mappings.index_name(index, prefix)):
                        raise AirflowSkipException("the index does not exist yet")
                    run = reconcile.Reconciliation(conn, es, cache_client(), index, prefix)
                    return run.run().as_dict()

            reconcile_task()
    return dag
