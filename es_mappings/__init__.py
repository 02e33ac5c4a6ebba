"""Elasticsearch index definitions shared by the ETL, the content API and the tests.

Each index has a JSON file here (`movies.json`, `genres.json`, `persons.json`); the analysis
settings they share (the `ru_en` analyzer) live once in `analysis.json` and are merged in by
`index_body()`.

Two words, used the same way in the ETL, the content API and the tests:

- an **index** is the logical name, one of `INDICES` (`movies`, `genres`, `persons`): it picks
  the mapping and the ETL's feed;
- an **index name** is the physical name Elasticsearch knows, `index_name(index, prefix)`: the
  index with a prefix (empty in production, `test_..._` beside a live stack).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

MAPPINGS_DIR = Path(__file__).resolve().parent

MOVIES = "movies"
GENRES = "genres"
PERSONS = "persons"
INDICES: tuple[str, ...] = (MOVIES, GENRES, PERSONS)


@cache
def _read(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((MAPPINGS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return body


def index_body(index: str) -> dict[str, Any]:
    """Settings and mappings ready for `indices.create`, with the shared analysis merged in."""
    if index not in INDICES:
        raise KeyError(f"unknown index {index!r}; known: {', '.join(INDICES)}")
    body = copy.deepcopy(_read(index))
    body.setdefault("settings", {}).update(copy.deepcopy(_read("analysis")))
    return body


def index_name(index: str, prefix: str = "") -> str:
    """The physical name of `index`: `prefix` + the logical name (the prefix is empty in production)."""
    if index not in INDICES:
        raise KeyError(f"unknown index {index!r}; known: {', '.join(INDICES)}")
    return f"{prefix}{index}"


def generation_key(index: str, prefix: str = "") -> str:
    """Redis key holding the index's generation number; the ETL bumps it after every load
    that changed the index and the content API puts it into its cache keys."""
    return f"cinema:index-generation:{index_name(index, prefix)}"
