"""Restoring the backups in `restore/`: the catalogue dump into Postgres and the snapshot into
Elasticsearch, each only where nothing is there yet, so existing data is never overwritten.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from elasticsearch import Elasticsearch, TransportError
from psycopg.conninfo import conninfo_to_dict

import es_mappings
from cinema_etl import journal

log = logging.getLogger(__name__)

# Where the backups are: the checkout's restore/ natively, compose's ./restore mount in the image.
BACKUPS_VARIABLE = "CINEMA_RESTORE_DIR"
# Registered read-only with a location relative to `path.repo`, which points at a copy of
# `restore/` in both stacks (natively under the state folder, in compose the ./restore mount).
REPOSITORY = "cinema_restore"
REPOSITORY_LOCATION = "elasticsearch"
SNAPSHOT = "catalogue"
# The prefix of the index names inside the snapshot; an index is restored as `<prefix><index>`.
SNAPSHOT_PREFIX = "snapshot_"
CATALOGUE_TABLES = ("film_work", "genre", "person", "genre_film_work", "person_film_work")


@dataclass(frozen=True)
class Backups:
    """The committed backups: `catalogue.dump` (pg_dump) and `elasticsearch/` (a snapshot repository)."""

    folder: Path

    @classmethod
    def from_environment(cls) -> Backups:
        folder = os.environ.get(BACKUPS_VARIABLE)
        if not folder:
            raise RuntimeError(
                f"{BACKUPS_VARIABLE} is not set: it names the folder of the backups (restore/)"
            )
        return cls(Path(folder))

    @property
    def catalogue_dump(self) -> Path:
        return self.folder / "catalogue.dump"

    @property
    def snapshot_dir(self) -> Path:
        return self.folder / "elasticsearch"

    def has_snapshot(self) -> bool:
        return (self.snapshot_dir / "index.latest").is_file()


@dataclass(frozen=True)
class Outcome:
    """What a restore did: `restored` False means it was skipped, for `reason`."""

    restored: bool
    reason: str


def catalogue_rows(dsn: str) -> dict[str, int] | None:
    """Row count per catalogue table, or None when the schema is absent."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not journal.catalogue_exists(conn):
            return None
        counts = {}
        for table in CATALOGUE_TABLES:
            row = conn.execute(f"SELECT count(*) FROM content.{table}").fetchone()  # noqa: S608 - fixed names
            counts[table] = row[0] if row else 0
        return counts


def _libpq_env(dsn: str) -> dict[str, str]:
    # Hand the credentials to pg_restore through the environment, not its command line.
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
    }
    params = conninfo_to_dict(dsn)
    env = dict(os.environ)
    env.update({var: str(params[key]) for key, var in names.items() if params.get(key) is not None})
    return env


def restore_postgres(dsn: str, backups: Backups) -> Outcome:
    """Restore the catalogue dump into `dsn` when the catalogue is absent or has no rows."""
    before = catalogue_rows(dsn)
    if before is not None and any(before.values()):
        return Outcome(
            False, f"the catalogue already holds data ({before['film_work']} films): left untouched"
        )
    dump = backups.catalogue_dump
    if not dump.is_file():
        raise FileNotFoundError(f"no catalogue backup at {dump}")
    command = [
        os.environ.get("PG_RESTORE", "pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]
    if before is not None:
        # The schema exists but is empty: load the rows into it and keep what is there (triggers).
        command.append("--data-only")
    command += ["--dbname", str(conninfo_to_dict(dsn).get("dbname") or ""), str(dump)]
    log.info("restoring %s: %s", dump.name, " ".join(command))
    result = subprocess.run(command, env=_libpq_env(dsn), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pg_restore failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    after = catalogue_rows(dsn) or {}
    return Outcome(True, "restored " + ", ".join(f"{table} {n}" for table, n in after.items()))


def register_repository(es: Elasticsearch) -> None:
    """(Re)register the read-only snapshot repository; re-registering makes it re-read the files."""
    es.snapshot.create_repository(
        name=REPOSITORY,
        repository={"type": "fs", "settings": {"location": REPOSITORY_LOCATION, "readonly": True}},
        verify=False,
    )


def restore_elasticsearch(es: Elasticsearch, backups: Backups, prefix: str = "") -> Outcome:
    """Restore every missing index from the committed snapshot, with its alias; indices that
    exist are left alone."""
    missing = [
        index
        for index in es_mappings.INDICES
        if not es.indices.exists(index=es_mappings.index_name(index, prefix))
    ]
    if not missing:
        return Outcome(False, "all indices exist: left untouched")
    if not backups.has_snapshot():
        raise FileNotFoundError(f"no snapshot repository in {backups.snapshot_dir}")
    register_repository(es)
    # The snapshot holds each index under its versioned name (a plain name in older snapshots).
    snapshot_index_names = ",".join(f"{es_mappings.index_name(index, SNAPSHOT_PREFIX)}*" for index in missing)
    log.info("restoring %s from snapshot %s/%s", snapshot_index_names, REPOSITORY, SNAPSHOT)
    try:
        response = es.snapshot.restore(
            repository=REPOSITORY,
            snapshot=SNAPSHOT,
            indices=snapshot_index_names,
            rename_pattern=f"{SNAPSHOT_PREFIX}(.+)",
            rename_replacement=f"{prefix}$1",
            include_global_state=False,
            include_aliases=False,
            wait_for_completion=True,
        )
    except TransportError as error:
        # An ETL run may have created one of the indices meanwhile; that index is then its business.
        if "already exists" in str(error):
            return Outcome(False, f"an index appeared while restoring: {error}")
        raise
    restored = set(response["snapshot"]["indices"])
    aliases = [
        {"add": {"index": name, "alias": es_mappings.index_name(index, prefix)}}
        for index in missing
        for name in restored
        if name.startswith(f"{es_mappings.index_name(index, prefix)}_")
    ]
    if aliases:
        es.indices.update_aliases(actions=aliases)
    es.cluster.health(
        index=",".join(es_mappings.index_name(index, prefix) for index in missing), wait_for_status="yellow"
    )
    counts = {index: es.count(index=es_mappings.index_name(index, prefix))["count"] for index in missing}
    return Outcome(True, "restored " + ", ".join(f"{index} {n}" for index, n in counts.items()))
