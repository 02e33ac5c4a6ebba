"""Suggestions: the repository interface, its Elasticsearch implementation and its cache operation.

Each index has a `completion` sub-field on its name (`title.suggest`, `full_name.suggest`,
`name.suggest` in `es_mappings`): an in-memory prefix automaton, so a suggestion costs well under
a millisecond of Elasticsearch time. The three suggesters go out in one `_msearch`.
"""

from __future__ import annotations

from typing import Any, Protocol

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch

from api.errors import DependencyUnavailable
from api.models.query import SuggestQuery
from api.models.suggestion import Suggestion, SuggestionKind
from api.repositories.elastic import unavailable
from es_mappings import GENRES, MOVIES, PERSONS, index_name

# The response cache's operation for each method of the interface (see CachedRepository).
CACHE_OPERATIONS = {"suggest": "suggest"}
# Every index a suggestion reads: its cache key holds the generation of each.
INDICES = (MOVIES, PERSONS, GENRES)

# kind -> (index, field whose completion sub-field is asked, the field that labels it)
SOURCES: dict[SuggestionKind, tuple[str, str]] = {
    "film": (MOVIES, "title"),
    "person": (PERSONS, "full_name"),
    "genre": (GENRES, "name"),
}
KIND_ORDER: dict[SuggestionKind, int] = {"film": 0, "person": 1, "genre": 2}
# `status` keeps every response in the array (filter_path drops the ones left empty).
SUGGEST_FILTER = ["responses.status", "responses.error", "responses.suggest.*.options._source"]


class SuggestionRepository(Protocol):
    async def suggest(self, query: SuggestQuery) -> list[Suggestion]: ...


def suggest_searches(query: SuggestQuery, prefix: str = "") -> list[dict[str, Any]]:
    """The `_msearch` body: per kind, an exact prefix suggester (`exact`) and a typo tolerant one
    (`typo`); the completion suggester scores both kinds of match alike, so they are asked apart."""
    searches: list[dict[str, Any]] = []
    for index, field in SOURCES.values():
        exact = {"field": f"{field}.suggest", "size": query.size, "skip_duplicates": True}
        # One typo from the fourth letter on, two from the seventh; never in the first letter.
        typo = {**exact, "fuzzy": {"fuzziness": "AUTO:4,7", "prefix_length": 1}}
        suggesters = {
            "exact": {"prefix": query.query, "completion": exact},
            "typo": {"prefix": query.query, "completion": typo},
        }
        searches.append({"index": index_name(index, prefix)})
        searches.append({"suggest": suggesters, "_source": ["id", field]})
    return searches


def merge(query: SuggestQuery, responses: list[dict[str, Any]]) -> list[Suggestion]:
    """Best first: exact prefixes above typo matches, then the shorter label (the closer
    completion), then films, people, genres; `size` in all, each label of a kind once."""
    ranked: dict[tuple[str, str], tuple[int, int, int, str, Suggestion]] = {}
    for (kind, (_, field)), response in zip(SOURCES.items(), responses, strict=True):
        found = response.get("suggest", {})
        for tier, suggester in enumerate(("exact", "typo")):
            for option in (found.get(suggester) or [{}])[0].get("options", []):
                label = option["_source"][field]
                key = (kind, label.lower())
                if key not in ranked:
                    item = Suggestion(kind=kind, uuid=option["_source"]["id"], label=label)
                    ranked[key] = (tier, len(label), KIND_ORDER[kind], label.lower(), item)
    best = sorted(ranked.values(), key=lambda entry: entry[:4])
    return [entry[4] for entry in best[: query.size]]


class ElasticSuggestionRepository:
    def __init__(self, es: AsyncElasticsearch, prefix: str = "") -> None:
        self._es = es
        self._prefix = prefix

    async def suggest(self, query: SuggestQuery) -> list[Suggestion]:
        try:
            response = await self._es.msearch(
                searches=suggest_searches(query, self._prefix), filter_path=SUGGEST_FILTER
            )
        except (ApiError, TransportError) as error:
            raise unavailable("suggestions", error) from None
        responses: list[dict[str, Any]] = response.body.get("responses", [])
        for answer in responses:
            if "error" in answer:
                raise DependencyUnavailable("elasticsearch", "an index of the suggestions is not available")
        return merge(query, responses)
