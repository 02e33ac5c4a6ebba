"""Query parsing: aliases fold into canonical names, defaults fill in, bad values name the field."""

from __future__ import annotations

from uuid import UUID

import pytest

from api.errors import InvalidParameter
from api.models.query import (
    FilmListQuery,
    FilmSearchQuery,
    PageQuery,
    SearchQuery,
    SuggestQuery,
    parse_id,
    parse_query,
)

GENRE = "6f2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"
OTHER_GENRE = "0a2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"
PERSON = "7f2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"


def parse(model, window=10_000, **args):
    return parse_query(model, {name: [value] for name, value in args.items()}, window)


def test_defaults():
    query = parse(FilmListQuery)
    assert (query.page_number, query.page_size, query.sort, query.genre) == (1, 50, "-imdb_rating", ())
    assert (query.genre_match, query.person, query.role, query.type) == ("any", None, None, None)


def test_aliases_give_the_same_normalized_query():
    aliased = parse_query(
        FilmListQuery, {"filter[genre]": [GENRE], "page[size]": ["5"], "page[number]": ["3"]}, 10_000
    )
    canonical = parse(FilmListQuery, genre=GENRE, page_size="5", page_number="3")
    assert aliased == canonical
    dumped = aliased.model_dump(mode="json")
    assert (dumped["page_size"], dumped["page_number"], dumped["sort"], dumped["genre"]) == (
        5,
        3,
        "-imdb_rating",
        GENRE,
    )
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
        ({"genre": [f"{GENRE},nope"]}, "genre"),
        ({"genre": [f"{GENRE},"]}, "genre"),
        ({"genre": [",".join([GENRE] * 21)]}, "genre"),
        ({"genre_match": ["most"]}, "genre_match"),
        ({"person": ["someone"]}, "person"),
        ({"role": ["actor"]}, "role"),
        ({"person": [PERSON], "role": ["producer"]}, "role"),
        ({"year_from": ["2001"], "year_to": ["2000"]}, "year_to"),
        ({"year_from": ["nineteen"]}, "year_from"),
        ({"rating_from": ["7"], "rating_to": ["6.5"]}, "rating_to"),
        ({"rating_to": ["11"]}, "rating_to"),
        ({"type": ["film"]}, "type"),
    ],
)
def test_invalid_values_name_the_parameter(args, parameter):
    with pytest.raises(InvalidParameter) as raised:
        parse_query(FilmListQuery, args, 10_000)
    assert raised.value.parameter == parameter
    assert raised.value.status_code == 422


def test_genre_list_is_sorted_without_repeats_so_equal_filters_share_a_cache_entry():
    one = parse(FilmListQuery, genre=f"{GENRE},{OTHER_GENRE},{GENRE}")
    other = parse(FilmListQuery, genre=f" {OTHER_GENRE} , {GENRE}")
    assert one == other
    assert one.genre == (UUID(OTHER_GENRE), UUID(GENRE))
    assert one.model_dump(mode="json")["genre"] == f"{OTHER_GENRE},{GENRE}"


def test_filters_combine_and_a_range_may_be_one_year():
    query = parse(
        FilmSearchQuery, query="star", person=PERSON, role="director", year_from="1977", year_to="1977",
        rating_from="5", rating_to="5", type="tv_show", genre_match="all", genre=GENRE,
    )  # fmt: skip
    assert (query.person, query.role, query.year_from, query.year_to) == (
        UUID(PERSON),
        "director",
        1977,
        1977,
    )
    assert (query.rating_from, query.rating_to, query.type, query.genre_match) == (5, 5, "tv_show", "all")


def test_suggest_query_is_trimmed_and_bounded():
    assert parse(SuggestQuery, query=" star  wa ").query == "star wa"
    assert parse(SuggestQuery, query="s").size == 10
    for args, parameter in (({"query": ""}, "query"), ({"query": "s", "size": "21"}, "size"), ({}, "query")):
        with pytest.raises(InvalidParameter) as raised:
            parse(SuggestQuery, **args)
        assert raised.value.parameter == parameter


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


def test_a_cursor_comes_back_as_the_values_it_was_made_of():
    after = [8.5, "-Infinity", "b7c1d2e3-0000-4000-8000-000000000000"]
    cursor = parse(FilmListQuery, sort="title", genre=GENRE).next_cursor(after)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # Another page size is the same walk; the page number is where the cursor stands instead.
    followed = parse(FilmListQuery, sort="title", genre=GENRE, page_size="7", cursor=cursor)
    assert followed.after == after
    assert parse(FilmListQuery, sort="title", genre=GENRE).after is None


@pytest.mark.parametrize(
    "changed",
    [
        {"sort": "-title"},
        {"genre": OTHER_GENRE},
        {"genre_match": "all"},
        {"type": "movie"},
        {"year_to": "1990"},
    ],
)
def test_a_cursor_is_bound_to_its_request(changed):
    cursor = parse(FilmListQuery, sort="title", genre=GENRE).next_cursor([1.0, "x"])
    with pytest.raises(InvalidParameter) as raised:
        parse(FilmListQuery, **{"sort": "title", "genre": GENRE, **changed, "cursor": cursor})
    assert raised.value.parameter == "cursor"


def test_a_cursor_is_bound_to_its_endpoint_and_refuses_a_page_number():
    cursor = parse(SearchQuery, query="star").next_cursor([1.0, "x"])
    assert parse(SearchQuery, query="star", cursor=cursor).after == [1.0, "x"]
    for model, args in (
        (FilmSearchQuery, {"query": "star", "cursor": cursor}),
        (SearchQuery, {"query": "star", "cursor": cursor, "page_number": "1"}),
        (SearchQuery, {"query": "star", "cursor": cursor[:-2]}),
    ):
        with pytest.raises(InvalidParameter) as raised:
            parse(model, **args)
        assert raised.value.parameter == "cursor"
