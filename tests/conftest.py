"""Fixtures every test shares: the stack's addresses (devtools.stack), its stores' clients,
scratch databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
import redis
from elasticsearch import Elasticsearch
from psycopg import sql

from devtools.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack()


@pytest.fixture(scope="session")
def es(stack: Stack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.es_url, request_timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_db(stack: Stack) -> Iterator[Callable[[int], redis.Redis]]:
    """Clients of numbered Redis databases (each suite keeps to its own), closed at the end."""
    clients: dict[int, redis.Redis] = {}

    def client(db: int) -> redis.Redis:
        if db not in clients:
            clients[db] = redis.Redis.from_url(stack.redis_url(db))
        return clients[db]

    yield client
    for each in clients.values():
        each.close()


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
