"""Requests too large for the gateway (nginx on port 80) or for the services behind it are
refused with JSON in the services' error shape, never with nginx's HTML pages."""

from __future__ import annotations

import httpx
import pytest

LONG = "a" * 9000  # over nginx's 8 KiB header buffers and the services' 8 KiB head limit


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"method": "GET", "url": f"/api/v1/films/search?query={LONG}"}, 414),
        ({"method": "GET", "url": f"/auth/api/v1/roles?x={LONG}"}, 414),
        ({"method": "GET", "url": "/api/v1/films/", "headers": {"X-Padding": LONG}}, 431),
        (
            {
                "method": "POST",
                "url": "/auth/api/v1/signup",
                "content": b"x" * (1024 * 1024 + 1),
                "headers": {"Content-Type": "application/json"},
            },
            413,
        ),
    ],
    ids=["long-query-api", "long-query-auth", "long-header", "large-body"],
)
def test_the_gateway_refuses_oversized_requests_with_json(gateway: httpx.Client, request_kwargs, status):
    response = gateway.request(**request_kwargs)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"code": "request_too_large", "detail": response.json()["detail"]}
    assert "exceeds" in response.json()["detail"]


def test_a_request_under_the_gateway_limit_but_over_the_services_gets_their_413(gateway: httpx.Client):
    """Between the two limits the service itself answers, with the 413 its OpenAPI document lists."""
    response = gateway.get("/api/v1/films/search", params={"query": "a" * 8100})
    assert response.status_code == 413, response.text[:300]
    assert response.json()["code"] == "request_too_large"


def test_unknown_and_internal_gateway_paths_are_json_404(gateway: httpx.Client):
    for path in ("/nowhere", "/gateway/errors/uri-too-long"):
        response = gateway.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "detail": "no such route"}, path
