"""Settings every test shares: where the native stack's services listen (from .env)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]


def _dotenv() -> dict[str, str]:
    values: dict[str, str] = {}
    env_file = ROOT / ".env"
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


@dataclass(frozen=True)
class Stack:
    """Addresses and credentials of the running native stack."""

    pg_user: str
    pg_password: str
    pg_port: int
    catalogue_db: str
    redis_port: int
    es_port: int
    # Hosts default to loopback (native stack); the compose test setup points them at its services.
    pg_host: str = "127.0.0.1"
    redis_host: str = "127.0.0.1"
    es_host: str = "127.0.0.1"

    def pg_dsn(self, dbname: str | None = None) -> str:
        return (
            f"postgresql://{self.pg_user}:{self.pg_password}@{self.pg_host}:{self.pg_port}/"
            f"{dbname or self.catalogue_db}"
        )

    @property
    def es_url(self) -> str:
        return f"http://{self.es_host}:{self.es_port}"

    def redis_url(self, db: int = 0) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/{db}"


@pytest.fixture(scope="session")
def stack() -> Stack:
    env = {**_dotenv(), **os.environ}
    return Stack(
        pg_user=env.get("POSTGRES_USER", "cinema"),
        pg_password=env.get("POSTGRES_PASSWORD", ""),
        pg_port=int(env.get("POSTGRES_PORT", "5432")),
        catalogue_db=env.get("CATALOGUE_DB", "cinema"),
        redis_port=int(env.get("REDIS_PORT", "6379")),
        es_port=int(env.get("ES_PORT", "9200")),
        pg_host=env.get("POSTGRES_HOST", "127.0.0.1"),
        redis_host=env.get("REDIS_HOST", "127.0.0.1"),
        es_host=env.get("ES_HOST", "127.0.0.1"),
    )


@pytest.fixture
def scratch_database(stack, request) -> Iterator[Callable[[], str]]:
    """A factory of empty databases, dropped after the test; returns the new DSN. Names start
    with test_<suite>_ so that a leftover one says which suite left it."""
    created: list[str] = []
    suite = request.path.parent.name

    def make() -> str:
        name = f"test_{suite}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return stack.pg_dsn(name)

    yield make
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
