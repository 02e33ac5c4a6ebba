"""How a text query ranks films and people: the Elasticsearch queries behind both searches.

A single `multi_match` scores by term statistics alone: a one-word title that matches one word
of the query beats a longer title that matches all of it, and a fuzzy match scores like an exact
one. Here the score is a sum of fixed tiers, each a `constant_score` clause on the sub-fields of
`es_mappings` (`folded`: the whole title lowercased; `words`: lowercased words, unstemmed, with
indexed prefixes), so that the order of importance holds whatever the term statistics:

1. the exact title (case folded), then the exact title with one typo;
2. the query as a phrase in the title, then the title starting with the query, higher when
   finishing the query's last word gives the whole title (`anmyr` is more likely the start of
   "Anmyrmor" than of "Anmyrkasha Ocean Trek"), and higher again the closer the rest of the title
   is to the length people leave untyped: someone who searches with the beginning of a title has
   typed most of it, about 60% (the model of `bench/relevance.py`), so `brith`
   (5 letters) is likelier the start of "Brithaxi" (3 left) than of "Brithon" (2 left, which one
   would have typed whole) or "Brithazenpel" (7 left); a few windows of anchored regexps, since
   this Elasticsearch has no scripts and no length field to score by;
3. every word in the title: exact words, then the last word as a prefix (`star wa`), then
   stemmed words (Russian and English), then words with typos;
4. people (a phrase, then every word), every word anywhere, genres;
5. below the tiers, BM25 over every field (title above people above genres above description),
   which orders films inside one tier: shorter titles and rarer words first.

The tiers nest (an exact title is also a phrase and has every word), so their sums keep the
order. The steps between tiers (from 6,000 at the top down to 20 among people and genres) are
meant to outweigh what BM25 adds for a short query; BM25 can reorder the small steps at the
bottom, and the benchmark's worst queries (`bench/relevance.py`) show where. Ties fall to the
rating, then the id, so equal queries always answer in the same order.
"""

from __future__ import annotations

import math
from typing import Any

Query = dict[str, Any]

PEOPLE_FIELDS = ["actors_names", "directors_names", "writers_names"]
# Every person's name of a film in one field (`copy_to` in the mapping), unstemmed.
PEOPLE = "people_names"
# The base score: BM25; title above people above genres above description.
BASE_FIELDS = ["title^3", "title.words^3", f"{PEOPLE}^1.5", "genres.text", "description^0.5"]
# Typos are looked for from the second letter on: Elasticsearch's advice for fuzzy queries,
# which otherwise walk every term of the field.
TYPO = {"fuzziness": "AUTO", "prefix_length": 1}

# The tiers' weights (see the module docstring for the order they encode).
EXACT = 10_000
EXACT_TYPO = 4_000
PHRASE = 3_000
STARTS_WITH = 2_000
# Added to STARTS_WITH when the name ends with the query's last word; below the step to PHRASE,
# so that it only orders names inside the tier.
COMPLETES = 500
# The windows of the untyped rest of a name, as shares of what is typed (people type about 60%
# of a title before they search with its beginning, which leaves 0.67 of what they typed), each adding
# LIKELY_REST when the rest of a name starting with the query falls inside; nested, so the
# closer to 0.67 the higher, and all of them together stay below COMPLETES.
LIKELY_REST = 20
LIKELY_REST_WINDOWS = ((0.3, 1.2), (0.45, 0.95), (0.55, 0.8))
ALL_WORDS = 1_000
ALL_WORDS_PREFIX = 800
ALL_WORDS_STEMMED = 600
ALL_WORDS_TYPO = 400
PEOPLE_PHRASE = 300
PEOPLE_ALL_WORDS = 200
ANYWHERE_ALL_WORDS = 150
PEOPLE_TYPO = 100
GENRE = 80

FILM_ORDER: list[Query] = [
    {"_score": "desc"},
    {"imdb_rating": {"order": "desc", "missing": "_last"}},
    {"id": "asc"},
]
PERSON_ORDER: list[Query] = [{"_score": "desc"}, {"full_name.raw": "asc"}, {"id": "asc"}]


def folded(text: str) -> str:
    """The query as the `folded` normalizer stores titles: lowercased, single spaces."""
    return " ".join(text.lower().split())


def _tier(weight: int, query: Query) -> Query:
    return {"constant_score": {"filter": query, "boost": weight}}


def _literal(text: str) -> str:
    """`text` as a Lucene regular expression that matches only itself."""
    return "".join(char if char.isalnum() or char == " " else f"\\{char}" for char in text)


def likely_rest(typed: int) -> list[tuple[int, int]]:
    """The windows of LIKELY_REST_WINDOWS in characters, for a query of `typed` characters
    (a window too narrow to hold a whole number of characters is left out)."""
    windows = [(math.ceil(low * typed), math.floor(high * typed)) for low, high in LIKELY_REST_WINDOWS]
    return [(low, high) for low, high in windows if low <= high]


def _whole_name_tiers(field: str, text: str) -> list[Query]:
    """The tiers that look at one name field as a whole (a film's title, a person's name)."""
    whole = folded(text)
    return [
        _tier(EXACT, {"term": {f"{field}.folded": whole}}),
        _tier(
            EXACT_TYPO, {"fuzzy": {f"{field}.folded": {"value": whole, "fuzziness": 1, "prefix_length": 1}}}
        ),
        _tier(PHRASE, {"match_phrase": {f"{field}.words": text}}),
        _tier(STARTS_WITH, {"prefix": {f"{field}.folded": whole}}),
        # The name is the query with its last word finished (no word after it).
        _tier(COMPLETES, {"regexp": {f"{field}.folded": {"value": f"{_literal(whole)}[^ ]*"}}}),
        *(
            _tier(
                LIKELY_REST, {"regexp": {f"{field}.folded": {"value": f"{_literal(whole)}.{{{low},{high}}}"}}}
            )
            for low, high in likely_rest(len(whole))
        ),
        _tier(ALL_WORDS, {"match": {f"{field}.words": {"query": text, "operator": "and"}}}),
        _tier(
            ALL_WORDS_PREFIX, {"match_bool_prefix": {f"{field}.words": {"query": text, "operator": "and"}}}
        ),
        _tier(ALL_WORDS_STEMMED, {"match": {field: {"query": text, "operator": "and"}}}),
        _tier(
            ALL_WORDS_TYPO,
            {"match": {f"{field}.words": {"query": text, "operator": "and", **TYPO}}},
        ),
    ]


def film_query(text: str) -> Query:
    """The `query` of a film search for `text` (already stripped and non-empty)."""
    people_and_more = [
        _tier(PEOPLE_PHRASE, {"match_phrase": {PEOPLE: text}}),
        _tier(PEOPLE_ALL_WORDS, {"match": {PEOPLE: {"query": text, "operator": "and"}}}),
        _tier(
            ANYWHERE_ALL_WORDS,
            {
                "multi_match": {
                    "query": text,
                    "type": "cross_fields",
                    "operator": "and",
                    "fields": ["title", *PEOPLE_FIELDS, "genres.text", "description"],
                }
            },
        ),
        _tier(PEOPLE_TYPO, {"match": {PEOPLE: {"query": text, "operator": "and", **TYPO}}}),
        _tier(GENRE, {"match": {"genres.text": text}}),
    ]
    base = {
        "multi_match": {
            "query": text,
            "type": "best_fields",
            "fields": BASE_FIELDS,
            "tie_breaker": 0.3,
        }
    }
    return {
        "bool": {
            "should": [*_whole_name_tiers("title", text), *people_and_more, base],
            "minimum_should_match": 1,
        }
    }


def person_query(text: str) -> Query:
    """The `query` of a person search: the same tiers on the full name."""
    base = {"match": {"full_name": {"query": text}}}
    should = [*_whole_name_tiers("full_name", text), base]
    return {"bool": {"should": should, "minimum_should_match": 1}}
