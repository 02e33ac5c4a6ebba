"""Merging the three indices' suggestions: exact prefixes first, then the shorter label, then
films, people, genres; one suggestion per label of a kind; `size` in all."""

from __future__ import annotations

import uuid

from api.models.query import SuggestQuery
from api.repositories.suggestions import merge, suggest_searches


def options(field: str, *labels: str) -> list[dict]:
    return [{"options": [{"_source": {"id": str(uuid.uuid4()), field: label}} for label in labels]}]


def test_exact_prefixes_come_before_typos_and_shorter_labels_first():
    films = {
        "suggest": {
            "exact": options("title", "Star Wars Return", "Star Wars"),
            "typo": options("title", "Star Trek"),
        }
    }
    persons = {
        "suggest": {"exact": options("full_name", "Stan Lee"), "typo": options("full_name", "Stan Lee")}
    }
    genres = {"suggest": {"exact": [{"options": []}], "typo": options("name", "Sci-Fi")}}
    found = merge(SuggestQuery(query="sta"), [films, persons, genres])
    assert [(s.kind, s.label) for s in found] == [
        ("person", "Stan Lee"),
        ("film", "Star Wars"),
        ("film", "Star Wars Return"),
        ("genre", "Sci-Fi"),
        ("film", "Star Trek"),
    ]


def test_size_bounds_the_merge_and_empty_answers_are_fine():
    films = {"suggest": {"exact": options("title", *(f"Film {n}" for n in range(30)))}}
    assert len(merge(SuggestQuery(query="f", size=3), [films, {}, {"status": 200}])) == 3
    assert merge(SuggestQuery(query="f"), [{}, {}, {}]) == []


def test_each_index_is_asked_for_exact_and_typo_tolerant_prefixes():
    searches = suggest_searches(SuggestQuery(query="star w", size=4), prefix="test_")
    assert [line["index"] for line in searches[::2]] == ["test_movies", "test_persons", "test_genres"]
    body = searches[1]["suggest"]
    assert body["exact"]["completion"] == {"field": "title.suggest", "size": 4, "skip_duplicates": True}
    assert body["typo"]["completion"]["fuzzy"]["prefix_length"] == 1
