"""Request ids, and log lines that carry them: shared by the content API and auth.

One id follows a request from the gateway to Elasticsearch. The gateway passes a client's
`X-Request-ID` on when it is a plain token (letters, digits and `._:-`, 1 to 128 of them) and makes
one otherwise; each service checks it the same way (a request may reach it directly), answers with
it, keeps it in a context variable for the request's task (tasks started from it inherit it), and
logs it on every line; the content API also sends it to Elasticsearch as `X-Opaque-Id`, which
Elasticsearch writes into its slow logs and task list.

Logs are text by default or one JSON object a line (`API_LOG_FORMAT=json`, `AUTH_LOG_FORMAT=json`).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any, Literal

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

HEADER = "X-Request-ID"

LogFormat = Literal["text", "json"]

_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# The id of the request being served, None outside any request (start-up, background work).
current: ContextVar[str | None] = ContextVar("request_id", default=None)


def accepted(offered: str | None) -> str:
    """The id a request goes by: the one it brought if it is a plain token, a new one otherwise
    (so that nothing a client sends can break a log line or a header)."""
    if offered is not None and _TOKEN.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def install(app: Sanic[Any, Any]) -> None:
    """Give every request its id (before any other middleware) and every response the header."""

    async def take_id(request: Request) -> None:
        request.ctx.request_id = rid = accepted(request.headers.get(HEADER))
        current.set(rid)

    async def answer_with_id(request: Request, response: BaseHTTPResponse) -> None:
        # A request refused before the middleware ran (no such route, a malformed head) gets one too.
        rid = getattr(request.ctx, "request_id", None) or accepted(request.headers.get(HEADER))
        response.headers[HEADER] = rid

    app.register_middleware(take_id, "request", priority=1000)
    app.register_middleware(answer_with_id, "response", priority=1000)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and the
    traceback as `error` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(level: str | int, log_format: LogFormat) -> None:
    """One handler on the root logger for everything the process logs (Sanic's own loggers
    included, which must then be left unconfigured: `Sanic(..., configure_logging=False)`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
