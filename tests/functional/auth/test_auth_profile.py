"""The caller's own account: GET/PATCH /users/me and PUT /users/me/password."""

from __future__ import annotations

from auth_http import PASSWORD, Api, bearer, new_login

NEW_PASSWORD = "another long passphrase"


def test_users_me_shows_the_account_without_its_hash(api: Api) -> None:
    user, tokens = api.new_user()

    response = api.http.get("/users/me", headers=bearer(tokens))

    assert response.status_code == 200
    assert response.json() == user
    assert "hash" not in response.text


def test_patch_users_me_changes_the_login(api: Api) -> None:
    user, tokens = api.new_user()
    login = new_login()

    response = api.http.patch(
        "/users/me", json={"login": login, "password": PASSWORD}, headers=bearer(tokens)
    )

    assert response.status_code == 200
    assert response.json()["login"] == login
    assert api.log_in(login)["token_type"] == "Bearer"
    assert api.http.post("/login", json={"login": user["login"], "password": PASSWORD}).status_code == 401


def test_patch_users_me_to_a_taken_login_is_409(api: Api) -> None:
    other = api.sign_up()
    _, tokens = api.new_user()

    response = api.http.patch(
        "/users/me", json={"login": other["login"], "password": PASSWORD}, headers=bearer(tokens)
    )

    assert response.status_code == 409


def test_patch_users_me_with_an_invalid_login_is_422(api: Api) -> None:
    _, tokens = api.new_user()

    response = api.http.patch(
        "/users/me", json={"login": "a b", "password": PASSWORD}, headers=bearer(tokens)
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "login"


def test_changing_the_password_ends_the_other_sessions_only(api: Api) -> None:
    user, current = api.new_user()
    other = api.log_in(user["login"])

    response = api.http.put(
        "/users/me/password",
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(current),
    )

    assert response.status_code == 204
    assert api.http.get("/users/me", headers=bearer(other)).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 401
    assert api.http.get("/users/me", headers=bearer(current)).status_code == 200
    assert api.http.post("/login", json={"login": user["login"], "password": PASSWORD}).status_code == 401
    assert api.log_in(user["login"], NEW_PASSWORD)["token_type"] == "Bearer"


def test_changing_the_password_requires_the_old_one(api: Api) -> None:
    user, tokens = api.new_user()

    missing = api.http.put("/users/me/password", json={"new_password": NEW_PASSWORD}, headers=bearer(tokens))
    wrong = api.http.put(
        "/users/me/password",
        json={"old_password": "not my password", "new_password": NEW_PASSWORD},
        headers=bearer(tokens),
    )

    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "old_password"
    assert wrong.status_code == 403
    assert api.log_in(user["login"])["token_type"] == "Bearer"


def test_the_new_password_follows_the_password_rules(api: Api) -> None:
    _, tokens = api.new_user()

    response = api.http.put(
        "/users/me/password",
        json={"old_password": PASSWORD, "new_password": "12345678"},
        headers=bearer(tokens),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "new_password", "message": "password is too common"}
