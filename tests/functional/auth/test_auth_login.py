"""POST /login, login history and brute-force protection."""

from __future__ import annotations

import time

import httpx
import psycopg
from auth_http import PASSWORD, Api, AuthProcess, bearer, new_login


def test_login_returns_a_bearer_token_pair(api: Api) -> None:
    user = api.sign_up()

    tokens = api.log_in(user["login"])

    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 15 * 60


def test_unknown_login_and_wrong_password_get_the_same_401(api: Api) -> None:
    user = api.sign_up()

    unknown = api.http.post("/login", json={"login": new_login(), "password": PASSWORD})
    wrong = api.http.post("/login", json={"login": user["login"], "password": "not the password"})

    assert unknown.status_code == wrong.status_code == 401
    assert (
        unknown.json() == wrong.json() == {"code": "invalid_credentials", "detail": "wrong login or password"}
    )


def test_every_attempt_goes_into_the_login_history_newest_first(api: Api) -> None:
    user = api.sign_up()
    api.http.post("/login", json={"login": user["login"], "password": "wrong password"})
    tokens = api.log_in(user["login"])

    response = api.http.get("/users/me/login-history", headers={**bearer(tokens), "User-Agent": "ignored"})

    assert response.status_code == 200
    history = response.json()
    assert [entry["outcome"] for entry in history] == ["success", "wrong_password"]
    assert [entry["success"] for entry in history] == [True, False]
    assert all(entry["ip"] == api.ip for entry in history)
    assert all(entry["user_agent"].startswith("python-httpx") for entry in history)
    assert history[0]["attempted_at"] > history[1]["attempted_at"]


def test_unknown_logins_are_recorded_without_a_user(api: Api, pg: psycopg.Connection) -> None:
    login = new_login()
    api.http.post("/login", json={"login": login, "password": PASSWORD})

    rows = pg.execute("SELECT user_id, outcome, ip FROM login_history WHERE login = %s", [login]).fetchall()

    assert rows == [(None, "unknown_login", api.ip)]


def test_login_history_is_partitioned_by_month(api: Api, pg: psycopg.Connection) -> None:
    user = api.sign_up()
    api.log_in(user["login"])

    partition = pg.execute(
        "SELECT tableoid::regclass::text FROM login_history WHERE login = %s", [user["login"]]
    ).fetchone()
    strategy = pg.execute(
        "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'login_history'::regclass"
    ).fetchone()

    assert strategy == ("r",)
    assert partition is not None and partition[0] == f"login_history_{time.strftime('%Y_%m', time.gmtime())}"


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(api: Api, auth_service: AuthProcess) -> None:
    # The peer (127.0.0.1) is trusted, but the hop it vouches for (198.51.100.9) is not a proxy,
    # so what that hop claims (203.0.113.5) is not believed.
    user = api.sign_up()
    tokens = api.http.post(
        "/login",
        json={"login": user["login"], "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.5, 198.51.100.9"},
    ).json()

    history = api.http.get("/users/me/login-history", headers=bearer(tokens)).json()

    assert history[0]["ip"] == "198.51.100.9"


def test_login_history_pages_follow_the_content_api_rules(api: Api) -> None:
    user = api.sign_up()
    for _ in range(2):  # below the free failures, so nothing is throttled
        for _ in range(2):
            api.http.post("/login", json={"login": user["login"], "password": "wrong password"})
        tokens = api.log_in(user["login"])
    headers = bearer(tokens)

    everything = api.http.get("/users/me/login-history", headers=headers).json()
    pages = [
        api.http.get(
            "/users/me/login-history", params={"page_number": n, "page_size": 2}, headers=headers
        ).json()
        for n in (1, 2, 3, 4)
    ]
    aliased = api.http.get("/users/me/login-history?page[number]=2&page[size]=2", headers=headers).json()

    assert len(everything) == 6
    assert [len(page) for page in pages] == [2, 2, 2, 0]
    assert [entry for page in pages for entry in page] == everything
    assert aliased == pages[1]


def test_login_history_rejects_bad_page_parameters(api: Api) -> None:
    _, tokens = api.new_user()
    for params in ({"page_size": 0}, {"page_size": 101}, {"page_number": 0}, {"page_number": "two"}):
        response = api.http.get("/users/me/login-history", params=params, headers=bearer(tokens))

        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] in params


def test_login_history_needs_a_token(api: Api) -> None:
    assert api.http.get("/users/me/login-history").status_code == 401


def test_failed_logins_slow_down_with_growing_delays_then_let_the_owner_in(api: Api) -> None:
    user = api.sign_up()
    attempt = {"login": user["login"], "password": "wrong password"}
    # Three failures are free (AUTH_FREE_FAILURES_PER_ACCOUNT=3); the fourth locks for 1 s.
    statuses = [api.http.post("/login", json=attempt).status_code for _ in range(4)]
    locked = api.http.post("/login", json={"login": user["login"], "password": PASSWORD})

    assert statuses == [401, 401, 401, 401]
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "1"

    time.sleep(1.1)
    assert api.http.post("/login", json=attempt).status_code == 401
    longer = api.http.post("/login", json=attempt)
    assert longer.status_code == 429
    assert longer.headers["Retry-After"] == "2"

    # The delay is capped (AUTH_MAX_DELAY_SECONDS=2) and expires: the owner gets in afterwards.
    time.sleep(2.1)
    assert api.log_in(user["login"])["token_type"] == "Bearer"


def test_someone_elses_failures_cannot_lock_the_owner_out_for_good(auth_service: AuthProcess) -> None:
    attacker, owner = Api(auth_service.url), Api(auth_service.url)
    user = owner.sign_up()
    retry_afters = []
    for _ in range(8):
        response = attacker.http.post("/login", json={"login": user["login"], "password": "guess"})
        if response.status_code == 429:
            retry_afters.append(int(response.headers["Retry-After"]))
            time.sleep(int(response.headers["Retry-After"]))

    assert retry_afters and max(retry_afters) <= 2
    time.sleep(2.1)
    assert owner.log_in(user["login"])["token_type"] == "Bearer"
    attacker.http.close()
    owner.http.close()


def test_failures_from_one_ip_are_counted_across_accounts(auth_service: AuthProcess) -> None:
    sprayer = Api(auth_service.url)
    # Six failures per IP are free (AUTH_FREE_FAILURES_PER_IP=6), each on a different account.
    statuses = [
        sprayer.http.post("/login", json={"login": new_login(), "password": PASSWORD}).status_code
        for _ in range(8)
    ]
    elsewhere = httpx.post(
        f"{auth_service.url}/auth/api/v1/login",
        json={"login": new_login(), "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.200"},
    )

    assert statuses[:7] == [401] * 7
    assert statuses[7] == 429
    assert elsewhere.status_code == 401
    sprayer.http.close()


def test_a_password_longer_than_72_bytes_is_simply_wrong_at_login(api: Api) -> None:
    user = api.sign_up()

    response = api.http.post("/login", json={"login": user["login"], "password": PASSWORD + "x" * 80})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_with_a_malformed_body_is_422(api: Api) -> None:
    response = api.http.post("/login", json={"login": "someone"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"
