"""Query parsing: aliases fold into canonical names, defaults fill in, bad values name the field."""

from __future__ import annotations

from uuid import UUID

import pytest

from api.errors import InvalidParameter
from api.models.query import FilmListQuery, PageQuery, SearchQuery, parse_id, parse_query

GENRE = "6f2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"


def parse(model, window=10_000, **args):
    return parse_query(model, {name: [value] for name, value in args.items()}, window)


def test_defaults():
    query = parse(FilmListQuery)
    assert (query.page_number, query.page_size, query.sort, query.genre) == (1, 50, "-imdb_rating", None)


def test_aliases_give_the_same_normalized_query():
    aliased = parse_query(
        FilmListQuery, {"filter[genre]": [GENRE], "page[size]": ["5"], "page[number]": ["3"]}, 10_000
    )
    canonical = parse(FilmListQuery, genre=GENRE, page_size="5", page_number="3")
    assert aliased == canonical
    assert aliased.model_dump() == {
        "page_size": 5,
        "page_number": 3,
        "sort": "-imdb_rating",
        "genre": UUID(GENRE),
    }
    assert aliased.offset == 10


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        ({"page_size": ["0"]}, "page_size"),
        ({"page_size": ["101"]}, "page_size"),
        ({"page_number": ["0"]}, "page_number"),
        ({"sort": ["rating"]}, "sort"),
        ({"genre": ["nope"]}, "genre"),
        ({"page_size": ["1", "2"]}, "page_size"),
        ({"page_size": ["1"], "page[size]": ["1"]}, "page_size"),
    ],
)
def test_invalid_values_name_the_parameter(args, parameter):
    with pytest.raises(InvalidParameter) as raised:
        parse_query(FilmListQuery, args, 10_000)
    assert raised.value.parameter == parameter
    assert raised.value.status_code == 422


def test_result_window_bounds_the_page_number():
    assert parse(PageQuery, window=100, page_size="10", page_number="10").page_number == 10
    with pytest.raises(InvalidParameter) as raised:
        parse(PageQuery, window=100, page_size="10", page_number="11")
    assert raised.value.parameter == "page_number"


def test_search_query_is_trimmed_and_bounded():
    assert parse(SearchQuery, query="  star   wars ").query == "star wars"
    for bad in ("", "  ", "x" * 257):
        with pytest.raises(InvalidParameter) as raised:
            parse(SearchQuery, query=bad)
        assert raised.value.parameter == "query"
    assert parse(SearchQuery, query="x" * 256).query == "x" * 256


def test_unknown_parameters_are_ignored():
    assert parse(PageQuery, colour="blue") == parse(PageQuery)


def test_parse_id():
    assert parse_id("film_id", GENRE) == UUID(GENRE)
    with pytest.raises(InvalidParameter) as raised:
        parse_id("film_id", "12")
    assert raised.value.parameter == "film_id"
