"""Query parsing: aliases fold into canonical names, defaults fill in, bad values name the field;
cursors are signed with the server's key and hold the values of their endpoint's order."""

from __future__ import annotations

from uuid import UUID

import pytest

import es_mappings
from api.errors import InvalidParameter
from api.models.query import (
    CursorQuery,
    FilmListQuery,
    FilmSearchQuery,
    PageQuery,
    SearchQuery,
    SuggestQuery,
    parse_id,
    parse_query,
)
from api.repositories.films import SORTS
from api.repositories.genres import GENRE_ORDER
from api.repositories.relevance import FILM_ORDER, PERSON_ORDER, likely_rest

GENRE = "6f2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"
OTHER_GENRE = "0a2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"
PERSON = "7f2b1c3e-8a2d-4c1b-9d8e-1a2b3c4d5e6f"


KEY = b"unit-test-cursor-key"


def parse(model, window=10_000, key=KEY, **args):
    return parse_query(model, {name: [value] for name, value in args.items()}, window, key)


def test_defaults():
    query = parse(FilmListQuery)
    assert (query.page_number, query.page_size, query.sort, query.genre) == (1, 50, "-imdb_rating", ())
    assert (query.genre_match, query.person, query.role, query.type) == ("any", None, None, None)


def test_aliases_give_the_same_normalized_query():
    aliased = parse_query(
        FilmListQuery, {"filter[genre]": [GENRE], "page[size]": ["5"], "page[number]": ["3"]}, 10_000, KEY
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
        parse_query(FilmListQuery, args, 10_000, KEY)
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
    after = ["-Infinity", "b7c1d2e3-0000-4000-8000-000000000000"]
    cursor = parse(FilmListQuery, genre=GENRE).next_cursor(after, KEY)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # Another page size is the same walk; the page number is where the cursor stands instead.
    followed = parse(FilmListQuery, genre=GENRE, page_size="7", cursor=cursor)
    assert followed.after == after
    assert parse(FilmListQuery, genre=GENRE).after is None


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
    cursor = parse(FilmListQuery, sort="title", genre=GENRE).next_cursor(["Alien", "x"], KEY)
    with pytest.raises(InvalidParameter) as raised:
        parse(FilmListQuery, **{"sort": "title", "genre": GENRE, **changed, "cursor": cursor})
    assert raised.value.parameter == "cursor"


def test_a_cursor_is_bound_to_its_endpoint_and_refuses_a_page_number():
    cursor = parse(SearchQuery, query="star").next_cursor([1.0, "Ford", "x"], KEY)
    assert parse(SearchQuery, query="star", cursor=cursor).after == [1.0, "Ford", "x"]
    for model, args in (
        (FilmSearchQuery, {"query": "star", "cursor": cursor}),
        (SearchQuery, {"query": "star", "cursor": cursor, "page_number": "1"}),
        (SearchQuery, {"query": "star", "cursor": cursor[:-2]}),
    ):
        with pytest.raises(InvalidParameter) as raised:
            parse(model, **args)
        assert raised.value.parameter == "cursor"


def test_a_cursor_signed_with_another_key_is_refused():
    cursor = parse(FilmListQuery, sort="title").next_cursor(["Alien", "x"], b"another-cursor-key")
    with pytest.raises(InvalidParameter) as raised:
        parse(FilmListQuery, sort="title", cursor=cursor)
    assert raised.value.parameter == "cursor"
    assert parse(FilmListQuery, sort="title", cursor=cursor, key=b"another-cursor-key").after == [
        "Alien",
        "x",
    ]


@pytest.mark.parametrize(
    ("model", "args", "values"),
    [
        (FilmListQuery, {"sort": "-imdb_rating"}, ["high", "x"]),
        (FilmListQuery, {"sort": "-imdb_rating"}, [True, "x"]),
        (FilmListQuery, {"sort": "-imdb_rating"}, [None, "x"]),
        (FilmListQuery, {"sort": "-imdb_rating"}, [float("nan"), "x"]),
        (FilmListQuery, {"sort": "-imdb_rating"}, [2**64, "x"]),
        (FilmListQuery, {"sort": "-imdb_rating"}, [8.5, 7]),
        (FilmListQuery, {"sort": "-imdb_rating"}, [8.5]),
        (FilmListQuery, {"sort": "title"}, [8.5, "x"]),
        (FilmListQuery, {"sort": "title"}, ["Alien", "x", "y"]),
        (FilmSearchQuery, {"query": "star"}, [3.0, {"rating": 1}, "x"]),
        (SearchQuery, {"query": "star"}, [3.0, ["Ford"], "x"]),
        (CursorQuery, {}, ["Drama", None]),
    ],
)
def test_a_well_signed_cursor_whose_values_do_not_fit_the_order_is_refused(model, args, values):
    cursor = parse(model, **args).next_cursor(values, KEY)
    with pytest.raises(InvalidParameter) as raised:
        parse(model, **args, cursor=cursor)
    assert raised.value.parameter == "cursor"
    assert "order" in str(raised.value)


@pytest.mark.parametrize(
    ("model", "args", "values"),
    [
        (FilmListQuery, {"sort": "-imdb_rating"}, [8.5, "x"]),
        (FilmListQuery, {"sort": "imdb_rating"}, [8, "x"]),
        (FilmListQuery, {"sort": "imdb_rating"}, ["Infinity", "x"]),
        (FilmSearchQuery, {"query": "star"}, [3.25, "-Infinity", "x"]),
        (CursorQuery, {}, ["Drama", "x"]),
    ],
)
def test_the_values_elasticsearch_writes_fit(model, args, values):
    cursor = parse(model, **args).next_cursor(values, KEY)
    assert parse(model, **args, cursor=cursor).after == values


def _kind(index: str, clause: dict) -> str:
    """What the mapping says a sort clause's values are."""
    (field,) = clause
    if field == "_score":
        return "number"
    properties = es_mappings.index_body(index)["mappings"]["properties"]
    name, _, sub = field.partition(".")
    mapping = properties[name]["fields"][sub] if sub else properties[name]
    return "keyword" if mapping["type"] == "keyword" else "number"


@pytest.mark.parametrize(
    ("model", "args", "order", "index"),
    [
        *((FilmListQuery, {"sort": sort}, clauses, es_mappings.MOVIES) for sort, clauses in SORTS.items()),
        (FilmSearchQuery, {"query": "star"}, FILM_ORDER, es_mappings.MOVIES),
        (SearchQuery, {"query": "star"}, PERSON_ORDER, es_mappings.PERSONS),
        (CursorQuery, {}, GENRE_ORDER, es_mappings.GENRES),
    ],
)
def test_each_endpoint_expects_the_values_of_the_order_its_repository_sorts_by(model, args, order, index):
    assert parse(model, **args).sort_values() == tuple(_kind(index, clause) for clause in order)


def test_the_likely_rest_windows_in_characters():
    # 5 letters typed: the untyped rest is likeliest 3 or 4 letters (60% typed), looser 2 to 6.
    assert likely_rest(5) == [(2, 6), (3, 4), (3, 4)]
    assert likely_rest(12) == [(4, 14), (6, 11), (7, 9)]
    # One letter typed: only the loosest window holds a whole number of characters.
    assert likely_rest(1) == [(1, 1)]
