"""Requests too large for Sanic to read (request line and headers over REQUEST_MAX_HEADER_SIZE,
8 KiB by default) are refused with 413 before any route runs: in the API's JSON error shape, and
documented on every operation of the OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

OVER_THE_HEAD_LIMIT = 9000  # characters, over Sanic's default REQUEST_MAX_HEADER_SIZE of 8192 bytes


def documented_answers(api: httpx.Client, path: str) -> dict[str, Any]:
    return api.get("/api/openapi.json").json()["paths"][path]["get"]["responses"]


@pytest.mark.parametrize(
    ("kind", "params", "headers"),
    [
        ("a long query string", {"query": "x" * OVER_THE_HEAD_LIMIT}, {}),
        ("a large header", {"query": "star"}, {"X-Padding": "y" * OVER_THE_HEAD_LIMIT}),
    ],
)
def test_an_oversized_request_gets_a_documented_json_413(
    api: httpx.Client, kind: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = api.get("/api/v1/films/search", params=params, headers=headers)

    assert response.status_code == 413, f"{kind}: {response.status_code} {response.text[:200]}"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"code": "request_too_large", "detail": "Request header exceeds the size limit"}
    answer = documented_answers(api, "/api/v1/films/search")["413"]
    schema = answer["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"code", "detail"} <= response.json().keys()


def test_every_operation_documents_the_413(api: httpx.Client) -> None:
    document = api.get("/api/openapi.json").json()
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }

    missing = sorted(label for label, operation in operations.items() if "413" not in operation["responses"])

    assert operations and not missing, f"operations without the 413: {missing}"
