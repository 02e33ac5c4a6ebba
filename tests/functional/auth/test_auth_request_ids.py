"""Request ids in auth: taken from `X-Request-ID` when plain, made otherwise, answered on every
response, and written on the log lines the request causes, as text or as JSON."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from auth_http import AuthProcess, free_port

from devtools.logs import lines_with

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/health"),
        ("GET", "/auth/api/v1/users/me"),
        ("POST", "/auth/api/v1/login"),
        ("GET", "/auth/nope"),
    ],
)
def test_every_answer_carries_the_request_id_it_was_given(
    auth_service: AuthProcess, method: str, path: str
) -> None:
    response = httpx.request(method, f"{auth_service.url}{path}", headers={"X-Request-ID": "client-9.x:y_z"})
    assert response.headers.get_list("x-request-id") == ["client-9.x:y_z"], response.status_code


@pytest.mark.parametrize("offered", [None, "", "with space", "x" * 129])
def test_an_absent_or_unusable_id_is_replaced_by_a_new_one(
    auth_service: AuthProcess, offered: str | None
) -> None:
    headers = {} if offered is None else {"X-Request-ID": offered}
    made = httpx.get(f"{auth_service.url}/auth/health", headers=headers).headers["x-request-id"]
    assert MADE.fullmatch(made)


@pytest.fixture(scope="module", params=["text", "json"])
def redis_down_logging(
    request: pytest.FixtureRequest, auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AuthProcess, str]]:
    """A process whose health check logs a warning on every call (its Redis is a closed port),
    logging in the given format."""
    env = {
        **auth_env,
        "AUTH_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "AUTH_LOG_FORMAT": request.param,
    }
    process = AuthProcess(env, tmp_path_factory.mktemp(f"auth-log-{request.param}") / "auth.log").start()
    yield process, request.param
    process.stop()


def test_the_log_lines_a_request_causes_carry_its_id(redis_down_logging: tuple[AuthProcess, str]) -> None:
    process, log_format = redis_down_logging
    rid = f"log-{uuid.uuid4().hex}"
    health = httpx.get(f"{process.url}/auth/health", headers={"X-Request-ID": rid})
    assert health.status_code == 200  # degraded: Redis is optional
    lines = lines_with(process.log_path, rid)
    assert lines, "no log line of the request names its id"
    if log_format == "text":
        assert all(f"[{rid}]:" in line and "WARNING" in line for line in lines), lines
        return
    entries = [json.loads(line) for line in lines]
    assert {entry["request_id"] for entry in entries} == {rid}
    assert all(entry["level"] == "WARNING" and "redis unavailable" in entry["message"] for entry in entries)
    # Every line of that log is JSON, Sanic's own included.
    for line in process.log_path.read_text().splitlines():
        if line.strip():
            assert isinstance(json.loads(line), dict), line
