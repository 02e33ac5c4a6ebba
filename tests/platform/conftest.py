"""Fixtures for the platform tests: scratch databases on the native stack's PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql


@pytest.fixture
def scratch_db(stack) -> Iterator[Callable[[], str]]:
    """A factory of empty databases, each dropped after the test; returns the new DSN."""
    created: list[str] = []

    def make() -> str:
        name = f"test_platform_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return stack.pg_dsn(name)

    yield make
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
