"""`/api/v1/suggest`: films, people and genres whose name starts like the typed text, typo
tolerant, cached under the generations of all three indices."""

from __future__ import annotations

import pytest

import es_mappings
from tests.functional.api.test_api_validation import assert_invalid


def suggest(api, query: str, **params) -> list[dict]:
    response = api.get("/api/v1/suggest", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return response.json()


def labels(api, query: str, **params) -> list[tuple[str, str]]:
    return [(item["kind"], item["label"]) for item in suggest(api, query, **params)]


def test_suggestions_have_kind_uuid_and_label(api, catalogue):
    first = suggest(api, "star w")[0]
    assert first == {"kind": "film", "uuid": catalogue.film_id("Star Wars"), "label": "Star Wars"}


def test_prefix_of_a_title_suggests_the_closest_completion_first(api, catalogue):
    found = labels(api, "star w")
    assert found[:2] == [("film", "Star Wars"), ("film", "Star Wars: Episode V - The Empire Strikes Back")]
    assert ("film", "Dog Star Man") not in found


def test_people_and_genres_are_suggested_too(api, catalogue):
    assert set(labels(api, "geo")) == {("person", "George Lucas"), ("person", "George Clooney")}
    assert labels(api, "dram")[0] == ("genre", "Drama")
    assert ("person", "Ridley Scott") in labels(api, "ridl")


def test_a_typo_in_the_prefix_is_tolerated(api, catalogue):
    assert labels(api, "solarsi")[0] == ("film", "Solaris")
    assert labels(api, "harison f")[0] == ("person", "Harrison Ford")


def test_size_bounds_the_answer_and_same_titles_are_suggested_once(api, catalogue):
    assert len(suggest(api, "s", size=1)) == 1
    assert [label for kind, label in labels(api, "solaris")].count("Solaris") == 1


def test_no_match_is_an_empty_list(api, catalogue):
    assert suggest(api, "zzzqqq") == []


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({}, "query"), ({"query": " "}, "query"), ({"query": "x" * 101}, "query"),
     ({"query": "s", "size": 0}, "size"), ({"query": "s", "size": 21}, "size"),
     ({"query": "s", "size": "many"}, "size")],
)  # fmt: skip
def test_bad_input_is_422_naming_the_parameter(api, catalogue, params, parameter):
    assert_invalid(api.get("/api/v1/suggest", params=params), parameter)


@pytest.mark.parametrize("index", es_mappings.INDICES)
def test_cached_until_any_of_the_three_indices_changes(api, api_es_down, catalogue, bump_generation, index):
    path = "/api/v1/suggest?query=blade"
    fresh = api.get(path)
    assert fresh.status_code == 200
    assert api_es_down.get(path).json() == fresh.json()  # from the cache
    bump_generation(index)
    assert api_es_down.get(path).status_code == 503  # that generation has nothing cached yet
