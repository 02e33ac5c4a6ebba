"""POST /signup: the account rules and their 4xx answers."""

from __future__ import annotations

import pytest
from auth_http import PASSWORD, Api, new_login


def test_signup_returns_the_user_without_any_hash(api: Api) -> None:
    login = new_login()
    response = api.http.post(
        "/signup", json={"login": login, "password": PASSWORD, "email": "me@example.org"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["login"] == login
    assert body["email"] == "me@example.org"
    assert body["roles"] == []
    assert "password" not in response.text and "hash" not in response.text


def test_signup_with_a_taken_login_is_409(api: Api) -> None:
    user = api.sign_up()

    response = api.http.post("/signup", json={"login": user["login"], "password": PASSWORD})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


@pytest.mark.parametrize(
    ("login", "reason"),
    [("ab", "too short"), ("x" * 65, "too long"), ("with space", "space"), ("semi;colon", "punctuation")],
)
def test_signup_rejects_a_bad_login_with_422(api: Api, login: str, reason: str) -> None:
    response = api.http.post("/signup", json={"login": login, "password": PASSWORD})

    assert response.status_code == 422, reason
    assert response.json()["errors"][0]["field"] == "login"


def test_signup_accepts_every_allowed_login_character(api: Api) -> None:
    login = f"Ab9._-{new_login()}"[:64]

    assert api.http.post("/signup", json={"login": login, "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short7!", "at least 8 characters"),
        ("é" * 129, "at most 128 characters"),
        ("password123", "too common"),
        ("QWERTYUIOP", "too common"),
    ],
)
def test_signup_rejects_a_bad_password_with_the_reason(api: Api, password: str, reason: str) -> None:
    response = api.http.post("/signup", json={"login": new_login(), "password": password})

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "password"
    assert reason in error["message"]


def test_a_password_of_exactly_72_bytes_is_accepted_and_works(api: Api) -> None:
    password = "ü" * 30 + "k" * 12  # 60 + 12 bytes
    user = api.sign_up(password=password)

    assert api.log_in(user["login"], password)["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "body",
    [
        {"login": "someone"},
        {"password": PASSWORD},
        {"login": "someone", "password": PASSWORD, "is_admin": True},
        {"login": "someone", "password": PASSWORD, "email": "not-an-email"},
        ["not", "an", "object"],
    ],
)
def test_signup_rejects_a_malformed_body_with_422(api: Api, body: object) -> None:
    response = api.http.post("/signup", json=body)

    assert response.status_code == 422
    assert response.json()["errors"]


def test_signup_with_a_body_that_is_not_json_is_a_json_400(api: Api) -> None:
    response = api.http.post("/signup", content=b"{not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
