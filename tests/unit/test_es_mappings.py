"""es_mappings: index bodies carry the shared analysis; names and generation keys take a prefix."""

import pytest

import es_mappings


@pytest.mark.parametrize("index", es_mappings.INDICES)
def test_index_body_has_the_shared_analyzer(index):
    body = es_mappings.index_body(index)
    assert "ru_en" in body["settings"]["analysis"]["analyzer"]
    assert body["mappings"]["dynamic"] == "strict"


def test_index_body_is_a_fresh_copy_each_time():
    first = es_mappings.index_body("movies")
    first["mappings"]["properties"].clear()
    assert es_mappings.index_body("movies")["mappings"]["properties"]


def test_prefix_applies_to_names_and_generation_keys():
    assert es_mappings.index_name("movies", "test_") == "test_movies"
    assert es_mappings.generation_key("movies", "test_") != es_mappings.generation_key("movies")
    assert "test_movies" in es_mappings.generation_key("movies", "test_")


@pytest.mark.parametrize(
    "call",
    [es_mappings.index_body, es_mappings.index_name, es_mappings.versioned_name, es_mappings.generation_key],
)
def test_unknown_index_is_refused(call):
    with pytest.raises(KeyError, match="unknown index"):
        call("films")


def test_versioned_name_follows_the_body_not_its_key_order():
    body = es_mappings.index_body("movies")
    reordered = dict(reversed(list(body.items())))
    changed = es_mappings.index_body("movies")
    changed["mappings"]["properties"]["extra"] = {"type": "keyword"}

    name = es_mappings.versioned_name("movies", "test_")
    assert name.startswith("test_movies_") and len(name) == len("test_movies_") + 12
    assert es_mappings.versioned_name("movies", "test_", reordered) == name
    assert es_mappings.versioned_name("movies", "test_", changed) != name
    assert es_mappings.versioned_name("genres") != es_mappings.versioned_name("persons")
