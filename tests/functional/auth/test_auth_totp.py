"""Two-factor login (TOTP) over HTTP, with codes made by the real pyotp library.

Each code the service accepts spends its 30-second step, so a test that needs a second fresh
code takes the next step's (`next_code`: pyotp's clock moved on, the service allows one step of
drift) instead of sleeping; a test that would need a third uses a second account.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import psycopg
import pyotp
import pytest
from auth_http import PASSWORD, ROOT, Api, AuthProcess, auth_command, bearer, new_login, next_code

ATTEMPTS_PER_CHALLENGE = 3  # AUTH_TOTP_ATTEMPTS_PER_CHALLENGE of the auth_env processes
THROTTLED_FREE_PER_PAIR = 2


def wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits that are no code of the steps the service could accept during the test."""
    now = time.time()
    taken = {totp.at(now + offset * totp.interval) for offset in range(-2, 4)}
    return next(code for code in (f"{secrets.randbelow(10**6):06d}" for _ in range(100)) if code not in taken)


def _second_step(api: Api, challenge: str, code: str) -> httpx.Response:
    return api.http.post("/login/second-factor", json={"challenge": challenge, "code": code})


def _enrolled(api: Api) -> tuple[dict, dict, pyotp.TOTP, list[str]]:
    """A new account with two-factor login on: user, its password-only tokens, authenticator, backup codes."""
    user, tokens = api.new_user()
    totp, backup_codes = api.enrol_totp(tokens)
    return user, tokens, totp, backup_codes


def _amr(tokens: dict) -> list[str]:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["amr"]


def _audit_of(api: Api, admin_tokens: dict, user_id: str) -> list[str]:
    events = api.http.get("/audit", params={"page_size": 100}, headers=bearer(admin_tokens)).json()
    return [event["event"] for event in events if event["subject_id"] == user_id]


# ---------------------------------------------------------------- enrolment


def test_enrolment_is_on_only_once_confirmed_with_a_code(api: Api) -> None:
    user, tokens = api.new_user()

    started = api.http.post("/users/me/totp", headers=bearer(tokens))
    pending = api.http.get("/users/me/totp", headers=bearer(tokens)).json()
    before_confirming = api.http.post("/login", json={"login": user["login"], "password": PASSWORD})
    totp = pyotp.TOTP(started.json()["secret"])
    refused = api.http.post("/users/me/totp/confirm", json={"code": wrong_code(totp)}, headers=bearer(tokens))
    confirmed = api.http.post("/users/me/totp/confirm", json={"code": totp.now()}, headers=bearer(tokens))
    enabled = api.http.get("/users/me/totp", headers=bearer(tokens)).json()
    after = api.http.post("/login", json={"login": user["login"], "password": PASSWORD})

    assert started.status_code == 201
    uri = pyotp.parse_uri(started.json()["provisioning_uri"])
    assert (uri.secret, uri.issuer, uri.name) == (started.json()["secret"], "Cinema", user["login"])
    assert started.json()["provisioning_uri"].startswith("otpauth://totp/")
    assert pending == {"enabled": False, "pending": True, "backup_codes_left": 0}
    assert before_confirming.status_code == 200 and "access_token" in before_confirming.json()
    assert refused.status_code == 403 and refused.json()["detail"] == "code is wrong"
    assert confirmed.status_code == 200
    codes = confirmed.json()["backup_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert enabled == {"enabled": True, "pending": False, "backup_codes_left": 10}
    assert after.status_code == 202
    assert set(after.json()) == {"challenge", "expires_in", "methods"} and after.json()["expires_in"] == 300


def test_starting_again_replaces_the_pending_secret_and_enrolling_when_on_is_409(api: Api) -> None:
    _, tokens = api.new_user()
    first = api.http.post("/users/me/totp", headers=bearer(tokens)).json()
    second = api.http.post("/users/me/totp", headers=bearer(tokens)).json()

    old_code = pyotp.TOTP(first["secret"]).now()
    with_old = api.http.post("/users/me/totp/confirm", json={"code": old_code}, headers=bearer(tokens))
    new_code = pyotp.TOTP(second["secret"]).now()
    with_new = api.http.post("/users/me/totp/confirm", json={"code": new_code}, headers=bearer(tokens))
    again = api.http.post("/users/me/totp", headers=bearer(tokens))
    confirm_again = api.http.post("/users/me/totp/confirm", json={"code": new_code}, headers=bearer(tokens))

    assert first["secret"] != second["secret"]
    assert (with_old.status_code, with_new.status_code) == (403, 200)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert confirm_again.status_code == 409


def test_the_database_holds_no_plaintext_secret_or_backup_code(api: Api, pg: psycopg.Connection) -> None:
    user, _, totp, backup_codes = _enrolled(api)

    factor = pg.execute(
        'SELECT "secret_key_id", "secret_ciphertext", row_to_json(f)::text FROM "totp_factors" f '
        'WHERE "user_id" = %s::uuid',
        [user["id"]],
    ).fetchone()
    stored_codes = pg.execute(
        "SELECT string_agg(row_to_json(c)::text, ' ') FROM \"totp_backup_codes\" c "
        'WHERE "user_id" = %s::uuid',
        [user["id"]],
    ).fetchone()

    assert factor is not None and stored_codes is not None
    key_id, ciphertext, row = factor
    raw_secret = base64.b32decode(totp.secret)
    assert len(key_id) == 16
    assert totp.secret.encode() not in ciphertext and raw_secret not in ciphertext
    assert totp.secret not in row and totp.secret.lower() not in row
    for code in backup_codes:
        assert code not in stored_codes[0] and code.replace("-", "") not in stored_codes[0]


# ---------------------------------------------------------------- login


def test_a_code_completes_the_login_and_the_tokens_carry_both_factors(api: Api) -> None:
    user, password_only, totp, _ = _enrolled(api)

    tokens = api.log_in_with_code(user["login"], next_code(totp))
    refreshed = api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert _amr(password_only) == ["pwd"]
    assert _amr(tokens) == ["pwd", "otp"]
    assert api.http.get("/users/me", headers=bearer(tokens)).json()["id"] == user["id"]
    assert refreshed.status_code == 200 and _amr(refreshed.json()) == ["pwd", "otp"]
    history = api.http.get("/users/me/login-history", headers=bearer(tokens)).json()
    assert history[0]["outcome"] == "success"


def test_a_challenge_is_single_use_even_when_completed_twice_at_once(api: Api) -> None:
    user, _, totp, backup_codes = _enrolled(api)
    challenge = api.challenge(user["login"])

    async def twice() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(api.http.base_url), headers=api.http.headers) as http:
            return await asyncio.gather(
                *(
                    http.post("/login/second-factor", json={"challenge": challenge, "code": code})
                    for code in (next_code(totp), backup_codes[0])
                )
            )

    statuses = sorted(response.status_code for response in asyncio.run(twice()))
    after = _second_step(api, challenge, backup_codes[1])

    assert statuses == [200, 401]
    assert after.status_code == 401 and after.json()["code"] == "invalid_challenge"


def test_a_code_is_refused_again_in_the_step_it_was_used(api: Api) -> None:
    user, _, totp, backup_codes = _enrolled(api)
    code = next_code(totp)
    api.log_in_with_code(user["login"], code)

    challenge = api.challenge(user["login"])
    replayed = _second_step(api, challenge, code)
    with_backup_code = _second_step(api, challenge, backup_codes[0])

    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_code" and "already used" in replayed.json()["detail"]
    assert with_backup_code.status_code == 200


def test_a_backup_code_works_once(api: Api, admin_tokens: dict) -> None:
    user, _, _, backup_codes = _enrolled(api)
    code = backup_codes[3]

    first = _second_step(api, api.challenge(user["login"]), code.upper().replace("-", ""))
    second = _second_step(api, api.challenge(user["login"]), code)

    assert first.status_code == 200
    assert second.status_code == 401 and second.json()["code"] == "invalid_code"
    status = api.http.get("/users/me/totp", headers=bearer(first.json())).json()
    assert status["backup_codes_left"] == 9
    events = _audit_of(api, admin_tokens, user["id"])
    assert {"totp.backup_code_used", "login.second_factor_failed"} <= set(events)


def test_too_many_wrong_codes_void_the_challenge(api: Api) -> None:
    user, _, totp, _ = _enrolled(api)
    challenge = api.challenge(user["login"])

    answers = [_second_step(api, challenge, wrong_code(totp)) for _ in range(ATTEMPTS_PER_CHALLENGE)]
    right_too_late = _second_step(api, challenge, next_code(totp))
    fresh = _second_step(api, api.challenge(user["login"]), next_code(totp))

    assert [answer.status_code for answer in answers] == [401] * (ATTEMPTS_PER_CHALLENGE - 1) + [429]
    assert answers[0].json()["code"] == "invalid_code"
    assert answers[-1].json()["code"] == "too_many_codes" and int(answers[-1].headers["Retry-After"]) >= 1
    assert right_too_late.status_code == 401 and right_too_late.json()["code"] == "invalid_challenge"
    assert fresh.status_code == 200


@pytest.fixture(scope="module")
def strict(auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthProcess]:
    """Code throttling that locks for long enough to be seen on a loaded machine: 30 s after
    the third wrong code of an account from one source; challenges take 20 attempts."""
    env = {
        **auth_env,
        "AUTH_FREE_FAILURES_PER_ACCOUNT": str(THROTTLED_FREE_PER_PAIR),
        "AUTH_FIRST_DELAY_SECONDS": "30",
        "AUTH_MAX_DELAY_SECONDS": "60",
        "AUTH_TOTP_ATTEMPTS_PER_CHALLENGE": "20",
    }
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-totp-strict") / "auth.log").start()
    yield process
    process.stop()


def test_wrong_codes_lock_the_account_across_challenges(strict: AuthProcess) -> None:
    client = Api(strict.url)
    user, _, totp, _ = _enrolled(client)
    first = client.challenge(user["login"])

    wrong = [_second_step(client, first, wrong_code(totp)) for _ in range(THROTTLED_FREE_PER_PAIR + 1)]
    locked = _second_step(client, first, next_code(totp))
    on_a_new_challenge = _second_step(client, client.challenge(user["login"]), next_code(totp))
    client.http.close()

    assert [answer.status_code for answer in wrong] == [401] * (THROTTLED_FREE_PER_PAIR + 1)
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 1
    assert on_a_new_challenge.status_code == 429


def test_codes_sent_at_once_are_held_by_the_same_count(strict: AuthProcess) -> None:
    client = Api(strict.url)
    user, _, totp, _ = _enrolled(client)
    challenge = client.challenge(user["login"])
    guesses = [wrong_code(totp) for _ in range(10)]

    async def at_once() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(client.http.base_url), headers=client.http.headers) as http:
            return await asyncio.gather(
                *(
                    http.post("/login/second-factor", json={"challenge": challenge, "code": g})
                    for g in guesses
                )
            )

    statuses = [response.status_code for response in asyncio.run(at_once())]
    client.http.close()

    assert statuses.count(401) <= THROTTLED_FREE_PER_PAIR + 1, statuses
    assert statuses.count(429) == len(statuses) - statuses.count(401), statuses


# ---------------------------------------------------------------- managing the factor


def test_new_backup_codes_need_the_password_and_a_current_code_and_void_the_old(api: Api) -> None:
    user, tokens, totp, old_codes = _enrolled(api)
    path = "/users/me/totp/backup-codes"

    wrong_password = api.http.post(
        path, json={"password": "not the password", "code": next_code(totp)}, headers=bearer(tokens)
    )
    wrong = api.http.post(path, json={"password": PASSWORD, "code": wrong_code(totp)}, headers=bearer(tokens))
    renewed = api.http.post(
        path, json={"password": PASSWORD, "code": next_code(totp)}, headers=bearer(tokens)
    )
    with_old = _second_step(api, api.challenge(user["login"]), old_codes[0])
    new_codes = renewed.json()["backup_codes"]
    with_new = _second_step(api, api.challenge(user["login"]), new_codes[0])

    assert (wrong_password.status_code, wrong.status_code, renewed.status_code) == (403, 403, 200)
    assert wrong_password.json()["detail"] == "password is wrong"
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert (with_old.status_code, with_new.status_code) == (401, 200)


def test_disabling_needs_the_password_and_an_unused_code(api: Api, admin_tokens: dict) -> None:
    user, tokens, totp, _ = _enrolled(api)
    confirmed_with = totp.now()
    path = "/users/me/totp/disable"

    reused = api.http.post(path, json={"password": PASSWORD, "code": confirmed_with}, headers=bearer(tokens))
    wrong = api.http.post(path, json={"password": PASSWORD, "code": wrong_code(totp)}, headers=bearer(tokens))
    disabled = api.http.post(
        path, json={"password": PASSWORD, "code": next_code(totp)}, headers=bearer(tokens)
    )
    again = api.http.post(path, json={"password": PASSWORD, "code": next_code(totp)}, headers=bearer(tokens))
    login = api.http.post("/login", json={"login": user["login"], "password": PASSWORD})

    # Refused either way: its step is spent, or (two steps later) no longer accepted at all.
    assert reused.status_code == 403
    assert wrong.status_code == 403 and wrong.json()["detail"] == "code is wrong"
    assert disabled.status_code == 204
    assert again.status_code == 409
    assert login.status_code == 200 and "access_token" in login.json()
    assert api.http.get("/users/me/totp", headers=bearer(login.json())).json() == {
        "enabled": False,
        "pending": False,
        "backup_codes_left": 0,
    }
    events = _audit_of(api, admin_tokens, user["id"])
    assert {"totp.enrolment_started", "totp.enabled", "totp.disabled"} <= set(events)


def test_an_administrator_resets_a_users_factor_and_it_is_audited(api: Api, admin_tokens: dict) -> None:
    user, tokens, _, _ = _enrolled(api)
    admin_id = api.http.get("/users/me", headers=bearer(admin_tokens)).json()["id"]

    by_the_user = api.http.delete(f"/users/{user['id']}/totp", headers=bearer(tokens))
    reset = api.http.delete(f"/users/{user['id']}/totp", headers=bearer(admin_tokens))
    login = api.http.post("/login", json={"login": user["login"], "password": PASSWORD})
    unknown = api.http.delete(
        "/users/00000000-0000-4000-8000-000000000000/totp", headers=bearer(admin_tokens)
    )

    assert by_the_user.status_code == 403
    assert reset.status_code == 204
    assert login.status_code == 200 and "access_token" in login.json()
    assert unknown.status_code == 404
    events = api.http.get("/audit", params={"page_size": 100}, headers=bearer(admin_tokens)).json()
    reset_event = next(e for e in events if e["event"] == "totp.reset" and e["subject_id"] == user["id"])
    assert reset_event["actor_id"] == admin_id and reset_event["details"]["had_factor"] == "True"


# ---------------------------------------------------------------- required for the admin role


def _make_admin(auth_env: dict[str, str], login: str) -> None:
    env = {**auth_env, "AUTH_SUPERUSER_PASSWORD": PASSWORD}
    result = subprocess.run(
        auth_command("create-superuser", "--login", login), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_an_admin_without_the_second_factor_passes_no_permission_check(
    api: Api, auth_env: dict[str, str]
) -> None:
    login = new_login()
    _make_admin(auth_env, login)
    password_only = api.log_in(login)

    refused = api.http.get("/roles", headers=bearer(password_only))
    own_profile = api.http.get("/users/me", headers=bearer(password_only))
    totp, _ = api.enrol_totp(password_only)
    still_refused = api.http.get("/audit", headers=bearer(password_only))
    two_factor = api.log_in_with_code(login, next_code(totp))
    admitted = api.http.get("/roles", headers=bearer(two_factor))

    assert refused.status_code == 403
    assert refused.json()["code"] == "second_factor_required"
    assert "users/me/totp" in refused.json()["detail"] and "log in again" in refused.json()["detail"]
    assert own_profile.status_code == 200 and "admin" in own_profile.json()["roles"]
    assert still_refused.status_code == 403 and still_refused.json()["code"] == "second_factor_required"
    assert admitted.status_code == 200


def test_a_user_without_a_required_role_needs_no_second_factor(api: Api, admin_tokens: dict) -> None:
    user, _ = api.new_user()
    role = api.http.post(
        "/roles",
        json={"name": f"auditor-{secrets.token_hex(4)}", "permissions": ["audit:read"]},
        headers=bearer(admin_tokens),
    ).json()
    api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens))

    answer = api.http.get("/audit", headers=bearer(api.log_in(user["login"])))

    assert answer.status_code == 200


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "١٢٣٤٥٦", "", "abcde-fghi1", 123456])
def test_malformed_codes_are_422_naming_the_field(api: Api, code: Any) -> None:
    user, tokens, _, _ = _enrolled(api)
    challenge = api.challenge(user["login"])

    at_login = _second_step(api, challenge, code)
    at_disable = api.http.post(
        "/users/me/totp/disable", json={"password": PASSWORD, "code": code}, headers=bearer(tokens)
    )

    for answer in (at_login, at_disable):
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_request"
        assert [problem["field"] for problem in answer.json()["errors"]] == ["code"]


@pytest.mark.parametrize("challenge", ["short", "x" * 200, "not a challenge at all!!", None])
def test_a_malformed_challenge_is_422(api: Api, challenge: Any) -> None:
    answer = api.http.post("/login/second-factor", json={"challenge": challenge, "code": "123456"})

    assert answer.status_code == 422
    assert [problem["field"] for problem in answer.json()["errors"]] == ["challenge"]


def test_an_unknown_challenge_is_401_naming_it(api: Api) -> None:
    answer = _second_step(api, secrets.token_urlsafe(32), "123456")

    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_challenge" and "log in again" in answer.json()["detail"]


def test_confirming_without_an_enrolment_is_404_and_disabling_when_off_is_409(api: Api) -> None:
    _, tokens = api.new_user()

    confirm = api.http.post("/users/me/totp/confirm", json={"code": "123456"}, headers=bearer(tokens))
    disable = api.http.post(
        "/users/me/totp/disable", json={"password": PASSWORD, "code": "123456"}, headers=bearer(tokens)
    )
    extra = api.http.post("/users/me/totp/confirm", json={"code": "123456", "x": 1}, headers=bearer(tokens))

    assert confirm.status_code == 404 and "POST /auth/api/v1/users/me/totp" in confirm.json()["detail"]
    assert disable.status_code == 409 and disable.json()["detail"] == "two-factor login is not on"
    assert extra.status_code == 422


@pytest.fixture(scope="module")
def short_challenges(
    auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthProcess]:
    env = {**auth_env, "AUTH_TOTP_CHALLENGE_SECONDS": "1"}
    process = AuthProcess(env, tmp_path_factory.mktemp("auth-totp-short") / "auth.log").start()
    yield process
    process.stop()


def test_an_expired_challenge_is_401_naming_it(short_challenges: AuthProcess) -> None:
    client = Api(short_challenges.url)
    user, _, totp, _ = _enrolled(client)
    challenge = client.challenge(user["login"])

    time.sleep(1.5)  # past the challenge's 1 s lifetime: Redis expires it
    answer = _second_step(client, challenge, next_code(totp))
    client.http.close()

    assert answer.status_code == 401 and answer.json()["code"] == "invalid_challenge"
