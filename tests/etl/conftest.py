"""Fixtures for the ETL tests: scratch catalogue databases, a private index prefix, Redis db 14.

Everything is named `test_etl_<random>` so these tests run beside the live DAGs (database
`cinema`, indices `movies`/`genres`/`persons`, Redis db 0) and beside another run of themselves.
The ETL package imports without Airflow, so the tests call it directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
from elasticsearch import Elasticsearch

import es_mappings
from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load
from cinema_etl import extract, pipeline

ROOT = Path(__file__).resolve().parents[2]

REDIS_DB = 14


@dataclass
class EtlTarget:
    """One isolated ETL setup: a catalogue database, an index prefix and the clients."""

    dsn: str
    prefix: str
    es: Elasticsearch
    cache: redis.Redis

    def connect(self) -> psycopg.Connection:
        return extract.connect(self.dsn)

    def index_name(self, index: str) -> str:
        return es_mappings.index_name(index, self.prefix)

    def run(self, index: str, **kwargs) -> pipeline.RunReport:
        with self.connect() as conn:
            return pipeline.IndexRun(conn, self.es, self.cache, index, self.prefix, **kwargs).run()

    def run_all(self, **kwargs) -> dict[str, pipeline.RunReport]:
        reports = {index: self.run(index, **kwargs) for index in es_mappings.INDICES}
        self.es.indices.refresh(index=",".join(self.index_name(index) for index in es_mappings.INDICES))
        return reports

    def generation(self, index: str) -> int:
        value = self.cache.get(es_mappings.generation_key(index, self.prefix))
        return int(value) if value is not None else 0


@pytest.fixture(scope="session")
def cache(redis_db) -> redis.Redis:
    return redis_db(REDIS_DB)


def generate_catalogue(dsn: str, films: int = 999, seed: int = 42) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        load(conn, seed=seed, size=CatalogueSize(films=films))


@pytest.fixture
def index_prefix(es, cache) -> Iterator[str]:
    """A fresh `test_etl_<random>_` prefix; its indices and generation keys go afterwards."""
    prefix = f"test_etl_{uuid.uuid4().hex[:10]}_"
    yield prefix
    # Behind each alias, the concrete index (or, mid-test, the indices) of any version.
    leftovers = es.indices.get(index=f"{prefix}*", expand_wildcards="all").body
    if leftovers:
        es.indices.delete(index=",".join(leftovers), ignore_unavailable=True)
    cache.delete(*(es_mappings.generation_key(index, prefix) for index in es_mappings.INDICES))


@pytest.fixture
def target_for(index_prefix, es, cache) -> Callable[[str], EtlTarget]:
    """An ETL setup on the given database with this test's index prefix."""
    return lambda dsn: EtlTarget(dsn=dsn, prefix=index_prefix, es=es, cache=cache)


@pytest.fixture
def target(scratch_database, index_prefix, es, cache) -> EtlTarget:
    """The default generated catalogue (999 films) in a scratch database, nothing indexed yet."""
    dsn = scratch_database()
    generate_catalogue(dsn)
    return EtlTarget(dsn=dsn, prefix=index_prefix, es=es, cache=cache)
