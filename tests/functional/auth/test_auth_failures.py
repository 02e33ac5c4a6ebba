"""Dependencies down: without Redis the service still works (and revocations hold); without
Postgres it answers 503 JSON. Also the default bcrypt cost, on a process left at the default."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from auth_http import PASSWORD, Api, AuthProcess, bearer, free_port


@pytest.fixture(scope="module")
def redis_down(
    auth_env: dict[str, str], auth_service: AuthProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthProcess]:
    """The same database, Redis on a closed port, the default bcrypt cost, no trusted proxy."""
    env = {key: value for key, value in auth_env.items() if key != "AUTH_BCRYPT_ROUNDS"}
    env["AUTH_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    env["AUTH_TRUSTED_PROXIES"] = ""
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-redis-down") / "auth.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def postgres_down(
    auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthProcess]:
    env = {**auth_env, "AUTH_MIGRATE_ON_START": "false"}
    env["AUTH_DATABASE_URL"] = f"postgres://nobody:nothing@127.0.0.1:{free_port()}/auth"
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-pg-down") / "auth.log").start()
    yield process
    process.stop()


def test_without_redis_sign_up_login_and_logout_still_work(redis_down: AuthProcess) -> None:
    api = Api(redis_down.url)
    user, tokens = api.new_user()

    assert api.http.get("/users/me", headers=bearer(tokens)).json()["id"] == user["id"]
    assert api.http.post("/logout", headers=bearer(tokens)).status_code == 204
    assert api.http.get("/users/me", headers=bearer(tokens)).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    health = httpx.get(f"{redis_down.url}/auth/health")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "postgres": "ok", "redis": "unavailable"}
    api.http.close()


def test_a_logout_made_without_redis_reaches_a_process_with_redis(
    redis_down: AuthProcess, auth_service: AuthProcess
) -> None:
    # The Redis mirror cannot know of this logout; it is rebuilt from Postgres when its marker
    # expires (AUTH_REVOCATION_MIRROR_TTL_SECONDS=2 here), so the token dies within that bound.
    without, with_redis = Api(redis_down.url), Api(auth_service.url)
    _, tokens = without.new_user()
    assert with_redis.http.get("/users/me", headers=bearer(tokens)).status_code == 200

    without.http.post("/logout", headers=bearer(tokens))

    deadline = time.monotonic() + 10
    while with_redis.http.get("/users/me", headers=bearer(tokens)).status_code == 200:
        assert time.monotonic() < deadline, "the logout never reached the process with Redis"
        time.sleep(0.2)
    without.http.close()
    with_redis.http.close()


def test_passwords_are_hashed_with_bcrypt_cost_12_by_default(
    redis_down: AuthProcess, pg: psycopg.Connection
) -> None:
    api = Api(redis_down.url)
    user = api.sign_up()

    row = pg.execute("SELECT password_hash FROM users WHERE id = %s", [user["id"]]).fetchone()

    assert row is not None and row[0].startswith("$sha256-bcrypt$$2b$12$")
    assert api.log_in(user["login"])["token_type"] == "Bearer"
    api.http.close()


def test_x_forwarded_for_is_ignored_without_trusted_proxies(redis_down: AuthProcess) -> None:
    api = Api(redis_down.url)  # sends X-Forwarded-For: its own made-up address
    _, tokens = api.new_user()

    history = api.http.get("/users/me/login-history", headers=bearer(tokens)).json()

    assert history[0]["ip"] == "127.0.0.1"
    api.http.close()


def test_without_postgres_the_answers_are_503_json(postgres_down: AuthProcess) -> None:
    base = f"{postgres_down.url}/auth"

    health = httpx.get(f"{base}/health")
    login = httpx.post(f"{base}/api/v1/login", json={"login": "someone", "password": PASSWORD})
    signup = httpx.post(f"{base}/api/v1/signup", json={"login": "someone", "password": PASSWORD})

    assert health.status_code == 503
    assert health.json()["postgres"] == "unavailable"
    assert login.status_code == 503 and login.json()["code"] == "unavailable"
    assert signup.status_code == 503 and signup.json()["code"] == "unavailable"


def test_without_postgres_a_valid_looking_token_is_still_not_accepted(
    postgres_down: AuthProcess, api: Api, private_key_path: Path
) -> None:
    # A genuine token from the healthy process: this one cannot check revocation in Postgres
    # (Redis has the mirror, but the session lookup fails closed), so it must not answer 200.
    _, tokens = api.new_user()

    response = httpx.get(f"{postgres_down.url}/auth/api/v1/users/me", headers=bearer(tokens))

    assert response.status_code in (401, 503)
