"""One request id followed through the running stack: a client's X-Request-ID through the gateway
to the content API (its answer and its log) and on to Elasticsearch (its search slow log, as
X-Opaque-Id); an auth request's id in auth's answer and the gateway's access log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch
from stack_control import STATE_DIR

import es_mappings
from devtools.logs import lines_with, search_slow_log


@pytest.fixture
def movies_slow_log(es: Elasticsearch) -> Iterator[Path]:
    """Every query on the live movies index in Elasticsearch's search slow log while the test runs."""
    with search_slow_log(es, es_mappings.MOVIES) as path:
        yield path


def test_an_id_goes_from_the_gateway_through_the_api_to_elasticsearch(
    gateway: httpx.Client, movies_slow_log: Path
) -> None:
    rid = f"system-{uuid.uuid4().hex}"
    # A query nobody else sends: not cached, so it reaches Elasticsearch.
    response = gateway.get(
        "/api/v1/films/search", params={"query": uuid.uuid4().hex[:10]}, headers={"X-Request-ID": rid}
    )
    assert response.status_code == 200, response.text
    assert response.headers.get_list("x-request-id") == [rid]
    searched = lines_with(movies_slow_log, rid)
    assert searched, f"{rid} not in {movies_slow_log}"
    assert {json.loads(line)["elasticsearch.slowlog.id"] for line in searched} == {rid}
    assert lines_with(STATE_DIR / "gateway" / "access.log", f"request_id={rid}")


def test_the_gateway_makes_an_id_the_services_answer_and_log_with(gateway: httpx.Client) -> None:
    response = gateway.get("/auth/api/v1/users/me")  # 401: no token
    assert response.status_code == 401
    made = response.headers["x-request-id"]
    assert len(made) == 32
    assert lines_with(STATE_DIR / "gateway" / "access.log", f"request_id={made}")
