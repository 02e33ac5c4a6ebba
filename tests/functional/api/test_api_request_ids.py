"""Request ids in the content API: taken from `X-Request-ID` when plain, made otherwise, answered
on every response, written on the API's log lines, and sent to Elasticsearch as `X-Opaque-Id`
(found in Elasticsearch's search slow log)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import es_mappings
from devtools.logs import lines_with, search_slow_log

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "path", ["/api/v1/films", "/api/v1/films/not-a-uuid", "/api/v1/no-such-route", "/api/health"]
)
def test_every_answer_carries_the_request_id_it_was_given(api, path):
    response = api.get(path, headers={"X-Request-ID": "client-7.a:b_c"})
    assert response.headers.get_list("x-request-id") == ["client-7.a:b_c"], response.status_code


@pytest.mark.parametrize("offered", [None, "", "with space", "x" * 129, "a\u00e9b".encode(), "semi;colon"])
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
    lines = lines_with(api_processes["api_es_down"].log_path, rid)
    assert lines, "no log line of the failed request names its id"
    assert all(f"[{rid}]:" in line for line in lines), lines
    # Besides the warning, the client may log (INFO) that it tries the node it had marked dead
    # after an earlier test's failure: the warning is there whatever ran before.
    assert any("WARNING" in line for line in lines), lines


@pytest.fixture
def movies_slow_log(es, catalogue) -> Iterator[Path]:
    with search_slow_log(es, catalogue.index(es_mappings.MOVIES)) as path:
        yield path


def test_elasticsearch_gets_the_request_id_as_x_opaque_id(api, movies_slow_log):
    rid = f"es-{uuid.uuid4().hex}"
    # A query no other test sends, so the answer is not cached: it reaches Elasticsearch.
    response = api.get(
        "/api/v1/films/search", params={"query": uuid.uuid4().hex[:12]}, headers={"X-Request-ID": rid}
    )
    assert response.status_code == 200
    lines = lines_with(movies_slow_log, rid)
    assert lines, f"{rid} is not in {movies_slow_log}"
    # Elasticsearch writes the X-Opaque-Id of the search as the slow log entry's id.
    assert {json.loads(line)["elasticsearch.slowlog.id"] for line in lines} == {rid}
