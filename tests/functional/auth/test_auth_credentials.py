"""The credentials version (a login in flight cannot outlive a password change or a logout
everywhere; a reset by create-superuser ends the sessions) and the session's absolute lifetime."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Iterator

import bcrypt
import httpx
import psycopg
import pytest
from auth_http import PASSWORD, ROOT, Api, AuthProcess, auth_command, bearer, new_login

MAX_AGE_SECONDS = 3
SLOW_ROUNDS = 14  # about a second per check on this machine: the queue a login waits in


@pytest.fixture(scope="module")
def one_hashing_thread(
    auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthProcess]:
    """A second process on the same database whose single hashing thread can be kept busy, so a
    login there reads the user, then waits before its check, while the first process changes
    the password. Its sessions live at most MAX_AGE_SECONDS."""
    env = {**auth_env, "AUTH_HASH_THREADS": "1", "AUTH_SESSION_MAX_AGE_SECONDS": str(MAX_AGE_SECONDS)}
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-one-thread") / "auth.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def slow_login(pg: psycopg.Connection) -> str:
    """An account whose stored hash has a high cost: logging in to it occupies a hashing thread."""
    login = new_login()
    digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(SLOW_ROUNDS)).decode()
    pg.execute(
        "INSERT INTO users (id, login, password_hash, created_at, updated_at, credentials_version) "
        "VALUES (%s, %s, %s, now(), now(), 0)",
        [uuid.uuid4(), login, digest],
    )
    return login


def _in_background(url: str, login: str, ip: str, results: list[httpx.Response]) -> threading.Thread:
    def run() -> None:
        results.append(
            httpx.post(
                f"{url}/auth/api/v1/login",
                json={"login": login, "password": PASSWORD},
                headers={"X-Forwarded-For": ip},
                timeout=60,
            )
        )

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("change", ["password", "logout_all"])
def test_a_login_that_read_the_old_credentials_does_not_outlive_the_change(
    api: Api, one_hashing_thread: AuthProcess, slow_login: str, change: str
) -> None:
    user, tokens = api.new_user()
    busy: list[httpx.Response] = []
    in_flight: list[httpx.Response] = []
    # The slow login holds the one hashing thread; the victim's login reads the user, then waits.
    hog = _in_background(one_hashing_thread.url, slow_login, "192.0.2.10", busy)
    time.sleep(0.2)
    login = _in_background(one_hashing_thread.url, user["login"], api.ip, in_flight)
    time.sleep(0.3)

    if change == "password":
        changed = api.http.put(
            "/users/me/password",
            json={"old_password": PASSWORD, "new_password": "another long passphrase"},
            headers=bearer(tokens),
        )
    else:
        changed = api.http.post("/logout", json={"all": True}, headers=bearer(tokens))
    assert changed.status_code == 204, changed.text
    hog.join()
    login.join()

    assert busy[0].status_code == 200  # the hog was really checked, after the change
    answer = in_flight[0]
    if answer.status_code == 200:  # the session it opened must already be over
        assert api.http.get("/users/me", headers=bearer(answer.json())).status_code == 401
        refreshed = api.http.post("/refresh", json={"refresh_token": answer.json()["refresh_token"]})
        assert refreshed.status_code == 401
    else:
        assert answer.status_code == 401, answer.text


def test_create_superuser_for_an_existing_login_ends_its_sessions(api: Api, auth_env: dict[str, str]) -> None:
    user, tokens = api.new_user()
    env = {**auth_env, "AUTH_SUPERUSER_PASSWORD": "a reset passphrase"}

    result = subprocess.run(
        auth_command("create-superuser", "--login", user["login"]),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "1 open session(s) ended" in result.stdout
    assert api.http.get("/users/me", headers=bearer(tokens)).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert api.http.post("/login", json={"login": user["login"], "password": PASSWORD}).status_code == 401
    assert api.log_in(user["login"], "a reset passphrase")["token_type"] == "Bearer"


def test_refreshes_do_not_extend_a_session_past_its_absolute_lifetime(
    one_hashing_thread: AuthProcess,
) -> None:
    client = Api(one_hashing_thread.url)
    user = client.sign_up()
    tokens = client.log_in(user["login"])
    opened = time.monotonic()

    while time.monotonic() - opened < MAX_AGE_SECONDS - 1:
        response = client.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert response.status_code == 200, response.text
        tokens = response.json()
        time.sleep(0.5)
    time.sleep(MAX_AGE_SECONDS + 0.2 - (time.monotonic() - opened))

    expired = client.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert expired.status_code == 401
    assert expired.json()["detail"] == "session expired"
    client.http.close()
