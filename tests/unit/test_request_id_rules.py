"""The request id's check and the log records that carry it (pure logic; the services' use of
them is tested over HTTP in tests/functional)."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest

import request_ids
from request_ids import JsonFormatter, RequestIdFilter, accepted


@pytest.mark.parametrize("offered", ["a", "trace-1.2:3_4", "x" * 128, "0123456789abcdef0123456789abcdef"])
def test_a_plain_token_is_kept(offered: str) -> None:
    assert accepted(offered) == offered


@pytest.mark.parametrize("offered", [None, "", " ", "x" * 129, "a b", "a\nb", "a;b", "é", "a/b", '"a"'])
def test_anything_else_gets_a_new_random_id(offered: str | None) -> None:
    made = accepted(offered)
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert made != accepted(offered)


def _record(message: str = "hello %s", args: tuple[object, ...] = ("there",)) -> logging.LogRecord:
    return logging.LogRecord("cinema.test", logging.WARNING, __file__, 1, message, args, None)


def test_the_filter_puts_the_current_id_on_records_and_a_dash_outside_requests() -> None:
    async def inside() -> str:
        request_ids.current.set("req-1")
        record = _record()
        RequestIdFilter().filter(record)
        return record.request_id  # type: ignore[attr-defined, no-any-return]

    assert asyncio.run(inside()) == "req-1"
    outside = _record()
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


def test_a_json_line_has_the_fields_and_the_traceback() -> None:
    record = _record()
    record.request_id = "req-2"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "cinema.test"
    assert entry["message"] == "hello there"
    assert entry["request_id"] == "req-2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    try:
        raise ValueError("broken")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(failed)
    assert "\n" not in line
    assert "ValueError: broken" in json.loads(line)["error"]
