"""Elasticsearch index definitions shared by the ETL, the content API and the tests.

Each index has a JSON file here (`movies.json`, `genres.json`, `persons.json`); the analysis
settings they share (the `ru_en` analyzer) live once in `analysis.json` and are merged in by
`index_body()`.

Two words, used the same way in the ETL, the content API and the tests:

- an **index** is the logical name, one of `INDICES` (`movies`, `genres`, `persons`): it picks
  the mapping and the ETL's feed;
- an **index name** is the name the API and the ETL address, `index_name(index, prefix)`: the
  index with a prefix (empty in production, `test_..._` beside a live stack). It is an alias of
  one concrete index, whose **versioned name** `versioned_name(index, prefix, body)` adds a hash
  of the settings and mappings it was created with: a changed mapping means a new concrete index,
  built beside the old one while the alias keeps serving the old (see `cinema_etl.pipeline`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
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
    """The name `index` is read and written by: `prefix` + the logical name (the prefix is empty in
    production); an alias of the concrete index `versioned_name`."""
    if index not in INDICES:
        raise KeyError(f"unknown index {index!r}; known: {', '.join(INDICES)}")
    return f"{prefix}{index}"


def body_version(body: Mapping[str, Any]) -> str:
    """A short hash of an index body: equal bodies, equal versions, whatever the key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def versioned_name(index: str, prefix: str = "", body: Mapping[str, Any] | None = None) -> str:
    """The concrete index behind `index_name(index, prefix)` created from `body` (by default the
    body of `index_body(index)`): the index name, an underscore and `body_version(body)`."""
    version = body_version(body if body is not None else index_body(index))
    return f"{index_name(index, prefix)}_{version}"


def generation_key(index: str, prefix: str = "") -> str:
    """Redis key holding the index's generation number; the ETL bumps it after every load
    that changed the index and the content API puts it into its cache keys."""
    return f"cinema:index-generation:{index_name(index, prefix)}"
