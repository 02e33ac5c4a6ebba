"""Refresh, logout and the token attack suite: every forged or spent token gets a 401."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import redis
from auth_http import Api, AuthProcess, bearer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _sign(claims: dict[str, Any], key_path: Path, kid: str) -> str:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})  # type: ignore[arg-type]


def _me(api: Api, token: str) -> httpx.Response:
    return api.http.get("/users/me", headers=bearer(token))


def test_an_access_token_opens_users_me(api: Api) -> None:
    user, tokens = api.new_user()

    response = _me(api, tokens["access_token"])

    assert response.status_code == 200
    assert response.json()["id"] == user["id"]


def test_tokens_carry_the_agreed_claims(api: Api) -> None:
    user, tokens = api.new_user()
    header = jwt.get_unverified_header(tokens["access_token"])
    access, refresh = _claims(tokens["access_token"]), _claims(tokens["refresh_token"])

    assert header["alg"] == "EdDSA" and header["kid"]
    assert {"iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "type", "roles"} <= set(access)
    assert access["sub"] == refresh["sub"] == user["id"]
    assert access["sid"] == refresh["sid"]
    assert (access["type"], refresh["type"]) == ("access", "refresh")
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600
    assert access["roles"] == []


def test_refresh_gives_a_new_pair_once(api: Api) -> None:
    _, tokens = api.new_user()

    first = api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})
    again = api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    assert _me(api, first.json()["access_token"]).status_code == 401  # the reuse ended the session
    assert again.status_code == 401


def test_a_reused_refresh_token_revokes_the_whole_session(api: Api) -> None:
    _, tokens = api.new_user()
    newer = api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    assert _me(api, newer["access_token"]).status_code == 200

    reuse = api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert reuse.status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": newer["refresh_token"]}).status_code == 401
    assert _me(api, newer["access_token"]).status_code == 401


def test_two_concurrent_refreshes_with_one_token_give_exactly_one_success(
    api: Api, auth_service: AuthProcess
) -> None:
    async def race(refresh_token: str) -> list[int]:
        async with httpx.AsyncClient(base_url=f"{auth_service.url}/auth/api/v1") as client:
            responses = await asyncio.gather(
                *(client.post("/refresh", json={"refresh_token": refresh_token}) for _ in range(2))
            )
        return sorted(response.status_code for response in responses)

    for _ in range(5):  # several rounds, so both orders of arrival are likely exercised
        _, tokens = api.new_user()
        assert asyncio.run(race(tokens["refresh_token"])) == [200, 401]


def test_logout_stops_the_access_and_refresh_tokens_at_once(api: Api) -> None:
    _, tokens = api.new_user()
    _, other = api.new_user()

    response = api.http.post("/logout", headers=bearer(tokens))

    assert response.status_code == 204
    assert _me(api, tokens["access_token"]).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert _me(api, other["access_token"]).status_code == 200


def test_logout_all_ends_every_session_of_the_user(api: Api) -> None:
    user, first = api.new_user()
    second = api.log_in(user["login"])

    assert api.http.post("/logout", json={"all": True}, headers=bearer(second)).status_code == 204

    assert _me(api, first["access_token"]).status_code == 401
    assert _me(api, second["access_token"]).status_code == 401
    assert api.http.post("/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401


def test_logout_with_a_bad_body_is_422(api: Api) -> None:
    _, tokens = api.new_user()

    response = api.http.post("/logout", json={"all": "sometimes"}, headers=bearer(tokens))

    assert response.status_code == 422
    assert _me(api, tokens["access_token"]).status_code == 200


def test_a_revoked_session_stays_revoked_when_redis_loses_its_data(
    api: Api, auth_env: dict[str, str]
) -> None:
    _, tokens = api.new_user()
    api.http.post("/logout", headers=bearer(tokens))

    redis.Redis.from_url(auth_env["AUTH_REDIS_URL"]).flushdb()

    assert _me(api, tokens["access_token"]).status_code == 401


@pytest.fixture
def signed(api: Api, private_key_path: Path) -> tuple[dict[str, Any], str, Any]:
    """Claims of a genuine access token, its kid, and a signer with the service's real key."""
    _, tokens = api.new_user()
    claims = _claims(tokens["access_token"])
    kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    return claims, kid, lambda changed: _sign({**claims, **changed}, private_key_path, kid)


def _attack_tokens(
    api: Api, private_key_path: Path, signed: tuple[dict[str, Any], str, Any]
) -> dict[str, str]:
    claims, kid, sign = signed
    now = int(time.time())
    public_pem = (
        serialization.load_pem_private_key(private_key_path.read_bytes(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    payload = _b64(json.dumps(claims).encode())
    hs_header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    hs_signature = _b64(hmac.new(public_pem, f"{hs_header}.{payload}".encode(), hashlib.sha256).digest())
    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    genuine = sign({})
    head, _, signature = genuine.split(".")
    tampered_payload = _b64(json.dumps({**claims, "sub": "00000000-0000-4000-8000-000000000000"}).encode())
    stranger = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
    _, tokens = api.new_user()
    api.http.post("/logout", headers=bearer(tokens))
    return {
        "alg none": f"{none_header}.{payload}.",
        "HS256 keyed with the public key": f"{hs_header}.{payload}.{hs_signature}",
        "tampered payload": f"{head}.{tampered_payload}.{signature}",
        "signed by another key": stranger,
        "expired": sign({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}),
        "not valid yet": sign({"nbf": now + 3600, "exp": now + 7200}),
        "wrong audience": sign({"aud": "someone-else"}),
        "wrong issuer": sign({"iss": "evil-issuer"}),
        "refresh token as access token": api.log_in(api.sign_up()["login"])["refresh_token"],
        "logged-out session": tokens["access_token"],
        "missing session id": jwt.encode(
            {key: value for key, value in claims.items() if key != "sid"},
            serialization.load_pem_private_key(private_key_path.read_bytes(), password=None),  # type: ignore[arg-type]
            algorithm="EdDSA",
            headers={"kid": kid},
        ),
        "garbage": "not.a.token",
    }


ATTACKS = [
    "alg none",
    "HS256 keyed with the public key",
    "tampered payload",
    "signed by another key",
    "expired",
    "not valid yet",
    "wrong audience",
    "wrong issuer",
    "refresh token as access token",
    "logged-out session",
    "missing session id",
    "garbage",
]


def test_the_genuine_token_of_the_attack_suite_is_accepted(
    api: Api, signed: tuple[dict[str, Any], str, Any]
) -> None:
    # The control: re-signing unchanged claims with the real key works, so each 401 below is
    # caused by the one thing that attack changes.
    _, _, sign = signed
    assert _me(api, sign({})).status_code == 200


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_or_misused_access_token_is_401(
    api: Api, private_key_path: Path, signed: tuple[dict[str, Any], str, Any], attack: str
) -> None:
    token = _attack_tokens(api, private_key_path, signed)[attack]

    response = _me(api, token)

    assert response.status_code == 401, attack
    assert response.json()["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_access_token_is_not_a_refresh_token(api: Api) -> None:
    _, tokens = api.new_user()

    response = api.http.post("/refresh", json={"refresh_token": tokens["access_token"]})

    assert response.status_code == 401


def test_a_missing_or_non_bearer_authorization_is_401(api: Api) -> None:
    assert api.http.get("/users/me").status_code == 401
    assert api.http.get("/users/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
