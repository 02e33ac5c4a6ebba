"""Key rotation: `rotate-keys` makes a new active key without logging anyone out; the JWKS serves
the active key and the previous ones; a retired key's tokens are refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jwt
import pytest
from auth_http import ROOT, Api, AuthProcess, auth_command, bearer


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(auth_command(*args), cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _kids(api: Api) -> list[str]:
    jwks = api.http.get(str(api.http.base_url).replace("/api/v1/", "/.well-known/jwks.json")).json()
    return [key["kid"] for key in jwks["keys"]]


def test_rotation_keeps_sessions_and_retiring_ends_the_old_tokens(
    auth_env: dict[str, str], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    keys = tmp_path / "keys"
    env = {**auth_env, "AUTH_PRIVATE_KEY_FILE": str(keys / "private.pem")}
    _cli(env, "generate-keys", str(keys))
    logs = tmp_path_factory.mktemp("auth-rotation")

    before = AuthProcess(env, logs / "1.log").start()
    client = Api(before.url)
    user, old_tokens = client.new_user()
    old_kid = jwt.get_unverified_header(old_tokens["access_token"])["kid"]
    client.http.close()
    before.stop()

    _cli(env, "rotate-keys", str(keys))
    rotated = AuthProcess(env, logs / "2.log").start()
    client = Api(rotated.url)
    try:
        new_tokens = client.log_in(user["login"])
        new_kid = jwt.get_unverified_header(new_tokens["access_token"])["kid"]
        assert new_kid != old_kid
        assert _kids(client) == [new_kid, old_kid]
        assert client.http.get("/users/me", headers=bearer(old_tokens)).status_code == 200
        refreshed = client.http.post("/refresh", json={"refresh_token": old_tokens["refresh_token"]})
        assert refreshed.status_code == 200
        assert jwt.get_unverified_header(refreshed.json()["access_token"])["kid"] == new_kid
        old_tokens = {**old_tokens, "refresh_token": refreshed.json()["refresh_token"]}
    finally:
        client.http.close()
        rotated.stop()
    assert not (keys / "previous" / f"{old_kid}.pem").read_text().count("PRIVATE")

    # A token still signed by the old key (an access token issued before the rotation) ...
    _cli(env, "rotate-keys", str(keys), "--retire", old_kid)
    retired = AuthProcess(env, logs / "3.log").start()
    client = Api(retired.url)
    try:
        # ... is refused once that key is retired; tokens of the new key still work.
        before_rotation = client.http.get("/users/me", headers=bearer(old_tokens))
        assert before_rotation.status_code == 401
        assert before_rotation.json()["detail"] == "token signed with an unknown key"
        assert client.http.get("/users/me", headers=bearer(new_tokens)).status_code == 200
        assert _kids(client) == [new_kid]
    finally:
        client.http.close()
        retired.stop()
