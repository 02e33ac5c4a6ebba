"""Session control: a user lists their sessions, ends one, or signs out all the others."""

from __future__ import annotations

import uuid

from auth_http import Api, bearer


def test_the_sessions_are_listed_with_the_current_one_marked(api: Api) -> None:
    user, first = api.new_user()
    second = api.http.post(
        "/login",
        json={"login": user["login"], "password": "a long enough passphrase"},
        headers={"User-Agent": "phone"},
    ).json()

    sessions = api.http.get("/users/me/sessions", headers=bearer(second)).json()

    assert len(sessions) == 2
    newest, oldest = sessions
    assert (newest["current"], oldest["current"]) == (True, False)
    assert newest["user_agent"] == "phone" and oldest["user_agent"].startswith("python-httpx")
    assert {newest["ip"], oldest["ip"]} == {api.ip}
    assert set(newest) == {"id", "created_at", "last_used_at", "expires_at", "ip", "user_agent", "current"}
    assert api.http.get("/users/me", headers=bearer(first)).status_code == 200


def test_ending_one_session_ends_only_that_one(api: Api) -> None:
    user, first = api.new_user()
    second = api.log_in(user["login"])
    other = next(
        session
        for session in api.http.get("/users/me/sessions", headers=bearer(second)).json()
        if not session["current"]
    )

    ended = api.http.delete(f"/users/me/sessions/{other['id']}", headers=bearer(second))

    assert ended.status_code == 204
    assert api.http.get("/users/me", headers=bearer(first)).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401
    assert api.http.get("/users/me", headers=bearer(second)).status_code == 200
    assert [
        session["current"] for session in api.http.get("/users/me/sessions", headers=bearer(second)).json()
    ] == [True]


def test_someone_elses_session_is_not_found(api: Api) -> None:
    _, mine = api.new_user()
    _, theirs = api.new_user()
    their_session = api.http.get("/users/me/sessions", headers=bearer(theirs)).json()[0]["id"]

    assert api.http.delete(f"/users/me/sessions/{their_session}", headers=bearer(mine)).status_code == 404
    assert api.http.delete(f"/users/me/sessions/{uuid.uuid4()}", headers=bearer(mine)).status_code == 404
    assert api.http.get("/users/me", headers=bearer(theirs)).status_code == 200


def test_signing_out_the_others_keeps_this_session(api: Api) -> None:
    user, first = api.new_user()
    second = api.log_in(user["login"])
    third = api.log_in(user["login"])

    response = api.http.post("/users/me/sessions/sign-out-others", headers=bearer(third))

    assert response.status_code == 204
    for ended in (first, second):
        assert api.http.get("/users/me", headers=bearer(ended)).status_code == 401
        assert api.http.post("/refresh", json={"refresh_token": ended["refresh_token"]}).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": third["refresh_token"]}).status_code == 200


def _manager(api: Api, admin_tokens: dict) -> dict:
    """A user holding users:manage (made by the superuser)."""
    user, _ = api.new_user()
    role = api.http.post(
        "/roles",
        json={"name": f"support-{uuid.uuid4().hex[:8]}", "permissions": ["users:manage"]},
        headers=bearer(admin_tokens),
    ).json()
    assert (
        api.http.put(f"/users/{user['id']}/roles/{role['id']}", headers=bearer(admin_tokens)).status_code
        == 204
    )
    return api.log_in(user["login"])


def test_an_administrator_lists_and_ends_a_users_sessions(api: Api, admin_tokens: dict) -> None:
    manager = _manager(api, admin_tokens)
    user, tokens = api.new_user()

    listed = api.http.get(f"/users/{user['id']}/sessions", headers=bearer(manager))
    ended = api.http.delete(f"/users/{user['id']}/sessions/{listed.json()[0]['id']}", headers=bearer(manager))
    refused = api.http.get(f"/users/{user['id']}/sessions", headers=bearer(tokens))

    assert listed.status_code == 200 and len(listed.json()) == 1
    assert ended.status_code == 204
    assert api.http.get("/users/me", headers=bearer(tokens)).status_code == 401
    assert refused.status_code == 401  # its own session ended; with a new one it would be 403
    fresh = api.log_in(user["login"])
    assert api.http.get(f"/users/{user['id']}/sessions", headers=bearer(fresh)).status_code == 403


def test_a_disabled_account_loses_its_sessions_and_cannot_log_in(api: Api, admin_tokens: dict) -> None:
    manager = _manager(api, admin_tokens)
    user, tokens = api.new_user()

    disabled = api.http.put(f"/users/{user['id']}/disabled", headers=bearer(manager))
    login = api.http.post("/login", json={"login": user["login"], "password": "a long enough passphrase"})

    assert disabled.status_code == 204
    assert api.http.get("/users/me", headers=bearer(tokens)).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert login.status_code == 401 and login.json()["code"] == "invalid_credentials"

    assert api.http.delete(f"/users/{user['id']}/disabled", headers=bearer(manager)).status_code == 204
    assert api.log_in(user["login"])["token_type"] == "Bearer"
