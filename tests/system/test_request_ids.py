"""One request id followed through the running stack: a client's X-Request-ID through the gateway
to the content API (its answer and its log) and on to Elasticsearch (its search slow log, as
X-Opaque-Id); an auth request's id in auth's answer and the gateway's access log."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch
from stack_control import STATE_DIR

import es_mappings


def _lines_with(path: Path, text: str, wait: float = 10.0) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in path.read_text(errors="replace").splitlines() if text in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


@pytest.fixture
def movies_slow_log(es: Elasticsearch) -> Iterator[Path]:
    """Every query on the live movies index in Elasticsearch's search slow log while the test runs."""
    node = next(iter(es.nodes.info(node_id="_local", metric="settings")["nodes"].values()))
    path = Path(node["settings"]["path"]["logs"]) / f"{es.info()['cluster_name']}_index_search_slowlog.json"
    setting = "index.search.slowlog.threshold.query.warn"
    es.indices.put_settings(index=es_mappings.MOVIES, settings={setting: "0ms"})
    try:
        yield path
    finally:
        es.indices.put_settings(index=es_mappings.MOVIES, settings={setting: None})


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
    assert _lines_with(movies_slow_log, rid), f"{rid} not in {movies_slow_log}"
    assert _lines_with(STATE_DIR / "gateway" / "access.log", f"request_id={rid}")


def test_the_gateway_makes_an_id_the_services_answer_and_log_with(gateway: httpx.Client) -> None:
    response = gateway.get("/auth/api/v1/users/me")  # 401: no token
    assert response.status_code == 401
    made = response.headers["x-request-id"]
    assert len(made) == 32
    assert _lines_with(STATE_DIR / "gateway" / "access.log", f"request_id={made}")
