"""Requests too large to read are refused with 413 before any route runs: a request line and
headers over Sanic's REQUEST_MAX_HEADER_SIZE (8 KiB by default), a body over AUTH_MAX_BODY_BYTES.
The answer is the service's JSON error shape, and the document lists it on every operation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from auth_http import MAX_BODY_BYTES, PASSWORD, Api, AuthProcess, bearer

OVER_THE_HEAD_LIMIT = 9000  # characters, over Sanic's default REQUEST_MAX_HEADER_SIZE of 8192 bytes
HEAD_TOO_LARGE = {"code": "request_too_large", "detail": "Request header exceeds the size limit"}
BODY_TOO_LARGE = {"code": "request_too_large", "detail": "Request body exceeds the size limit"}


def document(auth_service: AuthProcess) -> dict[str, Any]:
    return httpx.get(f"{auth_service.url}/auth/openapi/openapi.json").json()


def signup_body(size: int) -> bytes:
    """A JSON signup body of exactly `size` bytes (the login is padded)."""
    empty = f'{{"login": "", "password": "{PASSWORD}"}}'
    return f'{{"login": "{"x" * (size - len(empty))}", "password": "{PASSWORD}"}}'.encode()


def assert_documented_413(
    response: httpx.Response, expected: dict[str, str], operation: dict[str, Any]
) -> None:
    assert response.status_code == 413, f"{response.status_code} {response.text[:200]}"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected
    schema = operation["responses"]["413"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"code", "detail"}


@pytest.mark.parametrize(
    ("kind", "params", "extra_headers"),
    [
        ("a long query string", {"page": "x" * OVER_THE_HEAD_LIMIT}, {}),
        ("a large header", {}, {"X-Padding": "y" * OVER_THE_HEAD_LIMIT}),
    ],
)
def test_an_oversized_request_head_gets_a_documented_json_413(
    api: Api,
    auth_service: AuthProcess,
    admin_tokens: dict,
    kind: str,
    params: dict[str, str],
    extra_headers: dict[str, str],
) -> None:
    # Refused before routing: a valid token changes nothing.
    response = api.http.get("/roles", params=params, headers={**bearer(admin_tokens), **extra_headers})

    operation = document(auth_service)["paths"]["/auth/api/v1/roles"]["get"]
    assert_documented_413(response, HEAD_TOO_LARGE, operation)


def test_a_body_over_the_limit_gets_a_documented_json_413(api: Api, auth_service: AuthProcess) -> None:
    headers = {"Content-Type": "application/json"}
    over = api.http.post("/signup", content=signup_body(MAX_BODY_BYTES + 1), headers=headers)
    # At the limit the body is read and judged: a login that long is a validation error.
    at_the_limit = api.http.post("/signup", content=signup_body(MAX_BODY_BYTES), headers=headers)

    operation = document(auth_service)["paths"]["/auth/api/v1/signup"]["post"]
    assert_documented_413(over, BODY_TOO_LARGE, operation)
    assert at_the_limit.status_code == 422, at_the_limit.text


def test_every_operation_documents_the_413(auth_service: AuthProcess) -> None:
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document(auth_service)["paths"].items()
        for method, operation in methods.items()
    }

    missing = sorted(label for label, operation in operations.items() if "413" not in operation["responses"])

    assert operations and not missing, f"operations without the 413: {missing}"
