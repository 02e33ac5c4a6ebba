"""Rebuilds the Elasticsearch snapshot committed in `restore/elasticsearch/`.

`make es-snapshot` runs this: restore the catalogue dump into a scratch database, load the three
indices with the ETL under the `snapshot_` prefix (beside the live indices), snapshot them into a
scratch repository under a writable `path.repo` directory, and copy that repository into
`restore/elasticsearch/`. Everything scratch is removed afterwards.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

import psycopg
from elasticsearch import Elasticsearch
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import es_mappings
from cinema_etl import extract, load, pipeline, restore

log = logging.getLogger("cinema_etl.snapshot")
BUILD_REPOSITORY = "cinema_snapshot_build"


def build(admin_dsn: str, es: Elasticsearch, work_dir: Path, backups: restore.Backups) -> dict[str, int]:
    scratch_db = "es_snapshot_build"
    scratch_dsn = make_conninfo(admin_dsn, dbname=scratch_db)
    index_names = [es_mappings.index_name(index, restore.SNAPSHOT_PREFIX) for index in es_mappings.INDICES]
    repo_dir = work_dir / f"build-{int(time.time())}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch_db)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch_db)))
    try:
        log.info("%s", restore.restore_postgres(scratch_dsn, backups).reason)
        load.delete_indices(es, index_names)
        with extract.connect(scratch_dsn) as conn:
            for index in es_mappings.INDICES:
                pipeline.IndexRun(conn, es, None, index, restore.SNAPSHOT_PREFIX).run()
        es.indices.refresh(index=",".join(index_names))
        counts = {index_name: es.count(index=index_name)["count"] for index_name in index_names}
        concrete = [name for index_name in index_names for name in load.concrete_indices(es, index_name)]
        es.snapshot.create_repository(
            name=BUILD_REPOSITORY, repository={"type": "fs", "settings": {"location": str(repo_dir)}}
        )
        es.snapshot.create(
            repository=BUILD_REPOSITORY,
            snapshot=restore.SNAPSHOT,
            indices=",".join(concrete),
            include_global_state=False,
            wait_for_completion=True,
        )
        es.snapshot.delete_repository(name=BUILD_REPOSITORY)
        shutil.rmtree(backups.snapshot_dir, ignore_errors=True)
        shutil.copytree(repo_dir, backups.snapshot_dir)
        log.info("wrote %s: %s", backups.snapshot_dir, counts)
        return counts
    finally:
        load.delete_indices(es, index_names)
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch_db))
            )
        shutil.rmtree(repo_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cinema_etl.snapshot", description=__doc__)
    parser.add_argument("--dsn", required=True, help="Postgres DSN of a user that may create databases")
    parser.add_argument("--es", default="http://127.0.0.1:9200")
    parser.add_argument("--work-dir", type=Path, required=True, help="a directory listed in ES path.repo")
    parser.add_argument(
        "--backups",
        type=Path,
        required=True,
        help="the backups folder (restore/): reads the dump, writes elasticsearch/",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    if conninfo_to_dict(args.dsn).get("dbname") is None:
        parser.error("--dsn must name a database to connect to (e.g. postgres)")
    build(args.dsn, Elasticsearch(args.es, request_timeout=120), args.work_dir, restore.Backups(args.backups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
