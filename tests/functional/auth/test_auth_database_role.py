"""The auth service connects as a role of its own (deploy/postgres/init-auth-role.sh, run by
`make up` and by the postgres image): no superuser, owner of its database only."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from auth_http import ROOT, Api, AuthProcess, auth_command

ROLE_DB = "test_auth_own_role"
SCRIPT = ROOT / "deploy" / "postgres" / "init-auth-role.sh"


def _grant_role(stack: Any, role: str, password: str) -> None:
    env = {
        **os.environ,
        "PGHOST": stack.pg_host,
        "PGPORT": str(stack.pg_port),
        "PGPASSWORD": stack.pg_password,
        "POSTGRES_USER": stack.pg_user,
        "AUTH_DB": ROLE_DB,
        "AUTH_DB_USER": role,
        "AUTH_DB_PASSWORD": password,
    }
    subprocess.run(["bash", str(SCRIPT)], env=env, check=True, capture_output=True, text=True)


def _dsn(stack: Any, role: str, password: str, database: str) -> str:
    return f"postgresql://{role}:{password}@{stack.pg_host}:{stack.pg_port}/{database}"


@pytest.fixture(scope="module")
def own_role(
    stack: Any, auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A database first migrated by a superuser-run service (as before the role existed), then
    handed to a new role by the script (twice: it must be idempotent), then served as that role."""
    role, password = f"test_auth_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ROLE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{ROLE_DB}"')
    superuser_env = {
        **auth_env,
        "AUTH_DATABASE_URL": stack.pg_dsn(ROLE_DB).replace("postgresql://", "postgres://", 1),
    }
    subprocess.run(auth_command("migrate"), cwd=ROOT, env=superuser_env, check=True, capture_output=True)
    _grant_role(stack, role, password)
    _grant_role(stack, role, password)
    env = {
        **auth_env,
        "AUTH_DATABASE_URL": _dsn(stack, role, password, ROLE_DB).replace("postgresql://", "postgres://", 1),
    }
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-own-role") / "auth.log").start()
    try:
        yield {"url": process.url, "role": role, "password": password}
    finally:
        process.stop()
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{ROLE_DB}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_service_works_as_its_own_role(own_role: dict[str, Any]) -> None:
    client = Api(own_role["url"])
    user = client.sign_up()

    assert client.log_in(user["login"])["token_type"] == "Bearer"
    client.http.close()


def test_the_role_is_no_superuser_and_owns_only_the_auth_database(
    stack: Any, own_role: dict[str, Any]
) -> None:
    role, password = own_role["role"], own_role["password"]
    with psycopg.connect(_dsn(stack, role, password, ROLE_DB), autocommit=True) as conn:
        attributes = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        foreign = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) <> current_user"
        ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('CREATE DATABASE "should_not_exist"')

    assert attributes == (False, False, False)
    assert foreign == (0,)  # every table, partition and index now belongs to the role
    for other in (stack.catalogue_db, "airflow"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(_dsn(stack, role, password, other)).close()
