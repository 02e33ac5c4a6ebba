"""Rotating the TOTP sealing key (`rotate-totp-key`, then `--reseal`, then `--retire`): the
secrets open at every step, end up sealed by the new key alone, and the old key can go.

On a database of its own: resealing touches every row, and the other tests' processes keep the
session's key."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from auth_http import ROOT, Api, AuthProcess, auth_command, next_code

ROTATION_DB = "test_auth_totp_rotation"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(auth_command(*args), cwd=ROOT, env=env, capture_output=True, text=True)


def _admin(stack: Any) -> psycopg.Connection:
    return psycopg.connect(stack.pg_dsn("postgres"), autocommit=True)


@pytest.fixture
def rotation_env(stack: Any, auth_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    with _admin(stack) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ROTATION_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{ROTATION_DB}"')
    keys = tmp_path / "keys"
    env = {
        **auth_env,
        "AUTH_DATABASE_URL": stack.pg_dsn(ROTATION_DB).replace("postgresql://", "postgres://", 1),
        "AUTH_PRIVATE_KEY_FILE": str(keys / "private.pem"),
        "AUTH_TOTP_ENCRYPTION_KEY_FILE": str(keys / "totp.keys"),
    }
    assert _cli(env, "generate-keys", str(keys)).returncode == 0
    yield env
    with _admin(stack) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ROTATION_DB}" WITH (FORCE)')


def _sealing_keys(stack: Any) -> list[str]:
    with psycopg.connect(stack.pg_dsn(ROTATION_DB)) as conn:
        return [row[0] for row in conn.execute('SELECT "secret_key_id" FROM "totp_factors" ORDER BY 1')]


def _forget_used_steps(stack: Any) -> None:
    """Lets the next login use a code of the step the last one used (no 30-second wait): the
    replay guard is tested elsewhere, here only whether the secret opens."""
    with psycopg.connect(stack.pg_dsn(ROTATION_DB)) as conn:
        conn.execute('UPDATE "totp_factors" SET "last_used_step" = NULL')


def test_a_rotation_keeps_every_secret_opening_and_retires_the_old_key(
    stack: Any, rotation_env: dict[str, str], tmp_path: Path
) -> None:
    env = rotation_env
    key_file = Path(env["AUTH_TOTP_ENCRYPTION_KEY_FILE"])
    logs = tmp_path / "logs"
    logs.mkdir()

    def serving(name: str) -> tuple[AuthProcess, Api]:
        process = AuthProcess(env, logs / f"{name}.log").start()
        return process, Api(process.url)

    process, api = serving("before")
    user, tokens = api.new_user()
    totp, _ = api.enrol_totp(tokens)
    api.http.close()
    process.stop()
    [old_key] = _sealing_keys(stack)

    added = _cli(env, "rotate-totp-key")
    assert added.returncode == 0, added.stderr
    assert len(key_file.read_text().split()) == 2
    # Retiring before resealing would strand the secret: refused, the file untouched.
    early = _cli(env, "rotate-totp-key", "--retire")
    assert early.returncode == 1
    assert "still sealed by an older key" in early.stderr
    assert len(key_file.read_text().split()) == 2

    # Restarted with the new key first: the old key still opens the secret it sealed.
    process, api = serving("rotated")
    api.log_in_with_code(user["login"], next_code(totp))
    api.http.close()
    process.stop()
    assert _sealing_keys(stack) == [old_key]

    resealed = _cli(env, "rotate-totp-key", "--reseal")
    assert resealed.returncode == 0, resealed.stderr
    assert "resealed 1 TOTP secret" in resealed.stdout
    [new_key] = _sealing_keys(stack)
    assert new_key != old_key
    assert _cli(env, "rotate-totp-key", "--reseal").stdout.startswith("resealed 0 ")

    retired = _cli(env, "rotate-totp-key", "--retire")
    assert retired.returncode == 0, retired.stderr
    assert old_key in retired.stdout
    assert len(key_file.read_text().split()) == 1

    # The old key gone, the resealed secret still makes the codes of the user's authenticator.
    _forget_used_steps(stack)
    process, api = serving("retired")
    try:
        api.log_in_with_code(user["login"], next_code(totp))
    finally:
        api.http.close()
        process.stop()


def test_a_key_from_the_environment_is_rotated_there(rotation_env: dict[str, str]) -> None:
    env = {
        **rotation_env,
        "AUTH_TOTP_ENCRYPTION_KEY": Path(rotation_env["AUTH_TOTP_ENCRYPTION_KEY_FILE"]).read_text().strip(),
    }
    assert _cli(env, "migrate").returncode == 0
    refused = _cli(env, "rotate-totp-key")
    assert refused.returncode == 1
    assert "AUTH_TOTP_ENCRYPTION_KEY" in refused.stderr
    # Resealing needs no file: nothing is sealed yet, so nothing to do.
    assert _cli(env, "rotate-totp-key", "--reseal").stdout.startswith("resealed 0 ")
