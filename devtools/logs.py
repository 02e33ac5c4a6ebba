"""Reading log files from tests: lines as they arrive, and Elasticsearch's search slow log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from elasticsearch import Elasticsearch

_SLOW_QUERY = "index.search.slowlog.threshold.query.warn"


def lines_with(path: Path, text: str, wait: float = 10.0) -> list[str]:
    """The lines of `path` that contain `text`, waiting up to `wait` seconds for the first one
    (processes write their logs a moment after they answer)."""
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in path.read_text(errors="replace").splitlines() if text in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


@contextmanager
def search_slow_log(es: Elasticsearch, index: str) -> Iterator[Path]:
    """Every query on `index` written to the search slow log of the local Elasticsearch node (the
    threshold at 0 ms) until the block ends; yields the log's path, which the node reports."""
    info = es.nodes.info(node_id="_local", metric="settings")
    node = next(iter(info["nodes"].values()))
    path = Path(node["settings"]["path"]["logs"]) / f"{info['cluster_name']}_index_search_slowlog.json"
    es.indices.put_settings(index=index, settings={_SLOW_QUERY: "0ms"})
    try:
        yield path
    finally:
        es.indices.put_settings(index=index, settings={_SLOW_QUERY: None})
