"""Generated input: schemathesis sends valid and invalid requests built from each service's own
OpenAPI document; no answer may be a 5xx, carry an undocumented status or content type, or break
the schema the document gives for it. At least 1,000 requests per service.

Both services run as their own processes on spare ports, as the functional tests start them: the
content API reads the live indices (filled by the ETL) with its own Redis cache db; auth has its
own database and Redis db, a superuser holding `roles:manage` so the role routes answer past 401
and 403, and throttling raised so generated wrong logins do not lock out the test's own logins.

Reproducible: every run prints its seed (a fresh random one unless GENERATED_INPUT_SEED is set),
and so does every failure message. `GENERATED_INPUT_SEED=<seed> pytest tests/system/test_generated_input.py`
generates the same requests again, against the same documents and the same library versions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pyotp
import pytest
import redis
from generated_requests import ROOT, ModuleProcess, Run, Tally, fuzz, run_seed
from schemathesis import GenerationMode

MIN_REQUESTS = 1000
CONTENT_REDIS_DB = 9
AUTH_REDIS_DB = 8
AUTH_DB = "test_auth_generated"
PASSWORD = "generated input passphrase"
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


def report(service: str, tally: Tally, capsys: pytest.CaptureFixture[str]) -> None:
    """Straight to the terminal: the counts belong in every run's log, not only a failing one's."""
    with capsys.disabled():
        print(f"\n{service}: {tally.summary()}")
        for label, count in sorted(tally.per_operation.items()):
            print(f"  {count:5d}  {label}")


def assert_clean(service: str, tally: Tally, capsys: pytest.CaptureFixture[str]) -> None:
    report(service, tally, capsys)
    assert not tally.failures, (
        f"{len(tally.failures)} failing runs; {tally.replay} replays them:\n\n" + "\n\n".join(tally.failures)
    )
    assert tally.requests >= MIN_REQUESTS, f"only {tally.requests} requests were generated ({tally.replay})"


@pytest.fixture(scope="module")
def seed() -> int:
    """One seed for the module's run, both services."""
    return run_seed()


# ---------------------------------------------------------------- content API


@pytest.fixture(scope="module")
def content_api(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleProcess]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("API_")}
    env.update(
        API_ES_URL=stack.es_url,
        API_REDIS_URL=stack.redis_url(CONTENT_REDIS_DB),
        API_WORKERS="1",
        API_ES_TIMEOUT="10",
        API_CURSOR_SECRET="test-only-cursor-secret",
    )
    log = tmp_path_factory.mktemp("generated-input") / "api.log"
    process = ModuleProcess("api", [], env, log, health="/api/health/ready")
    try:
        process.wait_until_alive()
        yield process
    finally:
        process.stop()
        redis.Redis.from_url(stack.redis_url(CONTENT_REDIS_DB)).flushdb()


def known_content_ids(base_url: str) -> dict[str, str]:
    """Ids that exist in the live catalogue, so detail routes answer 200 and their schema is checked."""
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as client:
        film = client.get("/films/", params={"page_size": 1}).json()[0]["uuid"]
        genre = client.get("/genres/", params={"page_size": 1}).json()[0]["uuid"]
        person = client.get("/films/" + film).json()
        people = person["actors"] + person["directors"] + person["writers"]
    ids = {"film_id": film, "genre_id": genre}
    if people:
        ids["person_id"] = people[0]["uuid"]
    return ids


def test_content_api_answers_generated_requests_as_documented(
    content_api: ModuleProcess, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = known_content_ids(content_api.url)

    def runs(operation: Any) -> list[Run]:
        batches = [Run(POSITIVE, 100), Run(NEGATIVE, 50)]
        names = {parameter.name for parameter in operation.path_parameters}
        if names and names <= ids.keys():
            batches.append(Run(POSITIVE, 30, {name: ids[name] for name in names}))
        return batches

    tally = fuzz(f"{content_api.url}/api/openapi.json", content_api.url, runs, lambda operation: {}, seed)
    assert_clean("content API", tally, capsys)
    assert tally.statuses[200] > 0, f"no generated request was answered 200 ({tally.replay})"


# ---------------------------------------------------------------- auth


def _auth(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auth", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _admin(stack: Any) -> psycopg.Connection:
    return psycopg.connect(stack.pg_dsn("postgres"), autocommit=True)


@pytest.fixture(scope="module")
def auth_service(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleProcess]:
    workdir = tmp_path_factory.mktemp("generated-input-auth")
    with _admin(stack) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{AUTH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{AUTH_DB}"')
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTH_")}
    env.update(
        AUTH_DATABASE_URL=stack.pg_dsn(AUTH_DB).replace("postgresql://", "postgres://", 1),
        AUTH_REDIS_URL=stack.redis_url(AUTH_REDIS_DB),
        AUTH_PRIVATE_KEY_FILE=str(workdir / "private.pem"),
        AUTH_BCRYPT_ROUNDS="4",
        # Generated logins fail by the hundred from one address: no lock-out for this run.
        AUTH_FREE_FAILURES_PER_ACCOUNT="1000000",
        AUTH_FREE_FAILURES_PER_IP="1000000",
        AUTH_SUPERUSER_PASSWORD=PASSWORD,
    )
    _auth("generate-keys", str(workdir), env=env)
    redis.Redis.from_url(env["AUTH_REDIS_URL"]).flushdb()
    process = ModuleProcess("auth", ["serve"], env, workdir / "auth.log", health="/auth/health")
    try:
        process.wait_until_alive()
        yield process
    finally:
        process.stop()
        redis.Redis.from_url(env["AUTH_REDIS_URL"]).flushdb()
        with _admin(stack) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{AUTH_DB}" WITH (FORCE)')


class Accounts:
    """The accounts the generated requests act as, and fresh tokens for them."""

    def __init__(self, process: ModuleProcess) -> None:
        self.http = httpx.Client(base_url=f"{process.url}/auth/api/v1", timeout=30)
        self.admin_login = f"admin-{uuid.uuid4().hex[:10]}"
        _auth("create-superuser", "--login", self.admin_login, env=process.env)
        self.admin = self.two_factor_bearer(self.admin_login)
        self.member_login = self.sign_up()
        self.member_id = self.http.get("/users/me", headers=self.bearer(self.member_login)).json()["id"]
        # PATCH /users/me renames its caller: it gets an account of its own, logged in once.
        self.renamed = self.bearer(self.sign_up())
        role = self.http.post("/roles", headers=self.admin, json={"name": "generated-target"})
        assert role.status_code == 201, role.text
        self.role_id = role.json()["id"]

    def sign_up(self) -> str:
        login = f"user-{uuid.uuid4().hex[:10]}"
        response = self.http.post("/signup", json={"login": login, "password": PASSWORD})
        assert response.status_code == 201, response.text
        return login

    def bearer(self, login: str) -> dict[str, str]:
        response = self.http.post("/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def two_factor_bearer(self, login: str) -> dict[str, str]:
        """The admin role passes permission checks only after a two-factor login: enrolled from a
        password-only session, then logged in with the next step's code (its current one is spent)."""
        password_only = self.bearer(login)
        started = self.http.post("/users/me/totp", headers=password_only)
        assert started.status_code == 201, started.text
        totp = pyotp.TOTP(started.json()["secret"])
        confirmed = self.http.post("/users/me/totp/confirm", json={"code": totp.now()}, headers=password_only)
        assert confirmed.status_code == 200, confirmed.text
        step_one = self.http.post("/login", json={"login": login, "password": PASSWORD})
        assert step_one.status_code == 202, step_one.text
        code = totp.at(time.time() + totp.interval)
        response = self.http.post(
            "/login/second-factor", json={"challenge": step_one.json()["challenge"], "code": code}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


# Routes that end the caller's session (logout, a password change): a fresh login for each request.
SESSION_ENDING = {"POST /auth/api/v1/logout", "PUT /auth/api/v1/users/me/password"}


def test_auth_answers_generated_requests_as_documented(
    auth_service: ModuleProcess, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = Accounts(auth_service)
    ids = {"user_id": accounts.member_id, "role_id": accounts.role_id, "permission": "roles:manage"}

    def headers_for(operation: Any) -> dict[str, str]:
        if operation.label in SESSION_ENDING:
            return accounts.bearer(accounts.member_login)
        if operation.label == "PATCH /auth/api/v1/users/me":
            return accounts.renamed
        return accounts.admin

    def runs(operation: Any) -> list[Run]:
        batches = [Run(POSITIVE, 50), Run(NEGATIVE, 35)]
        names = {parameter.name for parameter in operation.path_parameters}
        if names and names <= ids.keys():
            batches.append(Run(POSITIVE, 20, {name: ids[name] for name in names}))
        return batches

    try:
        tally = fuzz(
            f"{auth_service.url}/auth/openapi/openapi.json", auth_service.url, runs, headers_for, seed
        )
    finally:
        accounts.http.close()
    assert_clean("auth", tally, capsys)
    assert tally.statuses[200] > 0, f"no generated request was answered 200 ({tally.replay})"
