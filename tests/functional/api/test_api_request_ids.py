"""Request ids in the content API: taken from `X-Request-ID` when plain, made otherwise, answered
on every response, written on the API's log lines, and sent to Elasticsearch as `X-Opaque-Id`
(found in Elasticsearch's search slow log)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import es_mappings

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "path", ["/api/v1/films", "/api/v1/films/not-a-uuid", "/api/v1/no-such-route", "/api/health"]
)
def test_every_answer_carries_the_request_id_it_was_given(api, path):
    response = api.get(path, headers={"X-Request-ID": "client-7.a:b_c"})
    assert response.headers.get_list("x-request-id") == ["client-7.a:b_c"], response.status_code


@pytest.mark.parametrize("offered", [None, "", "with space", "x" * 129, "a\u00e9b", "semi;colon"])
def test_an_absent_or_unusable_id_is_replaced_by_a_new_one(api, offered):
    headers = {} if offered is None else {"X-Request-ID": offered}
    first = api.get("/api/v1/genres", headers=headers).headers["x-request-id"]
    second = api.get("/api/v1/genres", headers=headers).headers["x-request-id"]
    assert MADE.fullmatch(first) and MADE.fullmatch(second)
    assert first != second


def test_the_log_lines_a_request_causes_carry_its_id(api_es_down, api_processes):
    """Elasticsearch down: the request's failure is logged (a warning) on the way to its 503."""
    rid = f"log-{uuid.uuid4().hex}"
    answer = api_es_down.get(
        "/api/v1/films", params={"sort": "title", "page_size": 17}, headers={"X-Request-ID": rid}
    )
    assert answer.status_code == 503
    lines = _lines_with(api_processes["api_es_down"].log_path, rid)
    assert lines, "no log line of the failed request names its id"
    assert all(f"[{rid}]:" in line and "WARNING" in line for line in lines), lines


def _lines_with(path: Path, text: str, wait: float = 5.0) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in path.read_text(errors="replace").splitlines() if text in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


@pytest.fixture
def search_slow_log(es, catalogue) -> Iterator[Path]:
    """Every query on the test's movies index written to Elasticsearch's search slow log (the
    threshold at 0 ms) while the test runs; yields that log's path."""
    index = catalogue.index(es_mappings.MOVIES)
    settings = es.nodes.info(node_id="_local", metric="settings")
    node = next(iter(settings["nodes"].values()))
    logs = Path(node["settings"]["path"]["logs"])
    cluster = es.info()["cluster_name"]
    es.indices.put_settings(index=index, settings={"index.search.slowlog.threshold.query.warn": "0ms"})
    try:
        yield logs / f"{cluster}_index_search_slowlog.json"
    finally:
        es.indices.put_settings(index=index, settings={"index.search.slowlog.threshold.query.warn": None})


def test_elasticsearch_gets_the_request_id_as_x_opaque_id(api, search_slow_log):
    rid = f"es-{uuid.uuid4().hex}"
    # A query no other test sends, so the answer is not cached: it reaches Elasticsearch.
    response = api.get("/api/v1/films/search", params={"query": rid[-12:]}, headers={"X-Request-ID": rid})
    assert response.status_code == 200
    lines = _lines_with(search_slow_log, rid, wait=10)
    assert lines, f"{rid} is not in {search_slow_log}"
    entry = json.loads(lines[-1])
    assert rid in json.dumps(entry)
