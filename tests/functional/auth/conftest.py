"""Auth functional tests: each test session starts its own auth processes over real HTTP.

They run against their own database (``test_auth``, created and dropped here, migrated by the
service's own start-up path) and their own database (11) on auth's Redis, never the live ``auth`` ones.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from auth_http import MAX_BODY_BYTES, PASSWORD, ROOT, Api, AuthProcess, auth_command, new_login

TEST_DB = "test_auth"
TEST_REDIS_DB = 11


def _admin_connection(stack: Any) -> psycopg.Connection:
    return psycopg.connect(stack.pg_dsn("postgres"), autocommit=True)


def _drop_database(stack: Any) -> None:
    with _admin_connection(stack) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
def auth_env(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment of a test auth process: own database, own Redis db, a key made by the CLI."""
    _drop_database(stack)
    with _admin_connection(stack) as conn:
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    keys = tmp_path_factory.mktemp("auth-keys")
    env = {
        **os.environ,
        "AUTH_DATABASE_URL": stack.pg_dsn(TEST_DB).replace("postgresql://", "postgres://", 1),
        "AUTH_REDIS_URL": stack.auth_redis_url(TEST_REDIS_DB),
        "AUTH_PRIVATE_KEY_FILE": str(keys / "private.pem"),
        # Every test process seals TOTP secrets with the same key, whatever signing key it has.
        "AUTH_TOTP_ENCRYPTION_KEY_FILE": str(keys / "totp.keys"),
        "AUTH_TOTP_ATTEMPTS_PER_CHALLENGE": "3",
        # Cost 4 keeps the suite fast; the cost itself is tested on a process left at the default.
        "AUTH_BCRYPT_ROUNDS": "4",
        "AUTH_FREE_FAILURES_PER_ACCOUNT": "3",
        "AUTH_FREE_FAILURES_PER_IP": "6",
        "AUTH_FIRST_DELAY_SECONDS": "1",
        "AUTH_MAX_DELAY_SECONDS": "2",
        "AUTH_TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
        "AUTH_REVOCATION_MIRROR_TTL_SECONDS": "2",
        "AUTH_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        "AUTH_SIGNUPS_PER_IP": "5",
    }
    subprocess.run(
        auth_command("generate-keys", str(keys)), cwd=ROOT, env=env, check=True, capture_output=True
    )
    redis.Redis.from_url(env["AUTH_REDIS_URL"]).flushdb()
    yield env
    redis.Redis.from_url(env["AUTH_REDIS_URL"]).flushdb()
    _drop_database(stack)


@pytest.fixture(scope="session")
def auth_service(auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthProcess]:
    process = AuthProcess(auth_env, tmp_path_factory.mktemp("auth-log") / "auth.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def private_key_path(auth_env: dict[str, str]) -> Path:
    return Path(auth_env["AUTH_PRIVATE_KEY_FILE"])


@pytest.fixture(scope="session")
def pg(stack: Any, auth_service: AuthProcess) -> Iterator[psycopg.Connection]:
    """A connection to the test database, to look at what the service stored."""
    with psycopg.connect(stack.pg_dsn(TEST_DB), autocommit=True) as conn:
        yield conn


@pytest.fixture
def api(auth_service: AuthProcess) -> Iterator[Api]:
    client = Api(auth_service.url)
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def admin_tokens(auth_service: AuthProcess, auth_env: dict[str, str]) -> dict:
    """A superuser made by ``python -m auth create-superuser``, enrolled in two-factor login
    (which the admin role needs to pass permission checks) and logged in with a code."""
    login = new_login()
    env = {**auth_env, "AUTH_SUPERUSER_PASSWORD": PASSWORD}
    result = subprocess.run(
        auth_command("create-superuser", "--login", login), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    client = Api(auth_service.url)
    try:
        return client.log_in_admin(login)
    finally:
        client.http.close()
