"""What other services and operators use: JWKS, OpenAPI, health; and the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import jwt
from auth_http import ROOT, Api, AuthProcess, auth_command


def test_other_services_verify_access_tokens_with_the_published_jwks(
    api: Api, auth_service: AuthProcess
) -> None:
    _, tokens = api.new_user()
    jwks = httpx.get(f"{auth_service.url}/auth/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    key = next(jwk for jwk in jwks["keys"] if jwk["kid"] == kid)

    claims = jwt.decode(
        tokens["access_token"],
        jwt.PyJWK(key).key,
        algorithms=["EdDSA"],
        audience="cinema",
        issuer="cinema-auth",
    )

    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key
    assert claims["type"] == "access"


def test_swagger_ui_and_the_openapi_document_are_served(auth_service: AuthProcess) -> None:
    ui = httpx.get(f"{auth_service.url}/auth/openapi", follow_redirects=True)
    document = httpx.get(f"{auth_service.url}/auth/openapi/openapi.json").json()

    assert ui.status_code == 200 and "swagger" in ui.text.lower()
    assert "/auth/api/v1/login" in document["paths"]
    assert "requestBody" in document["paths"]["/auth/api/v1/signup"]["post"]


def test_health_reports_postgres_and_redis(auth_service: AuthProcess) -> None:
    response = httpx.get(f"{auth_service.url}/auth/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


def test_unknown_paths_and_methods_get_json_errors(auth_service: AuthProcess) -> None:
    missing = httpx.get(f"{auth_service.url}/auth/api/v1/nothing-here")
    wrong_method = httpx.get(f"{auth_service.url}/auth/api/v1/login")

    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"


def test_generate_keys_never_overwrites_a_key_by_accident(tmp_path: Path, auth_env: dict[str, str]) -> None:
    first = subprocess.run(
        auth_command("generate-keys", str(tmp_path)), cwd=ROOT, env=auth_env, capture_output=True
    )
    key = (tmp_path / "private.pem").read_bytes()
    second = subprocess.run(
        auth_command("generate-keys", str(tmp_path)), cwd=ROOT, env=auth_env, capture_output=True
    )
    kept = subprocess.run(
        auth_command("generate-keys", "--if-missing", str(tmp_path)),
        cwd=ROOT,
        env=auth_env,
        capture_output=True,
    )

    assert first.returncode == 0
    assert (tmp_path / "private.pem").stat().st_mode & 0o077 == 0
    assert second.returncode == 1
    assert kept.returncode == 0
    assert (tmp_path / "private.pem").read_bytes() == key


def test_create_superuser_has_no_default_password(auth_env: dict[str, str]) -> None:
    env = {key: value for key, value in auth_env.items() if key != "AUTH_SUPERUSER_PASSWORD"}

    result = subprocess.run(
        auth_command("create-superuser", "--login", "nopassword"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 1
    assert "AUTH_SUPERUSER_PASSWORD" in result.stderr


def test_create_superuser_refuses_a_weak_password(auth_env: dict[str, str]) -> None:
    env = {**auth_env, "AUTH_SUPERUSER_PASSWORD": "password"}

    result = subprocess.run(
        auth_command("create-superuser", "--login", "weakling"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "too common" in result.stderr
