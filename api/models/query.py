"""Query parameters of the list and search endpoints, with the aliases existing clients send.

Validation yields a frozen model whose fields, defaults included, are the normalized request:
the cache key is built from it, so `?page[size]=10&sort=title` and `?sort=title&page_size=10`
share one cache entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from api.errors import InvalidParameter
from api.models.film import FilmType
from api.models.person import Role

# Old client spellings -> canonical parameter names.
ALIASES = {"page[number]": "page_number", "page[size]": "page_size", "filter[genre]": "genre"}
MAX_QUERY_LENGTH = 256
MAX_GENRES = 20

FilmSort = Literal["-imdb_rating", "imdb_rating", "title", "-title"]


class PageQuery(BaseModel):
    """Pagination: `page_size` 1..100, `page_number` >= 1, both inside Elasticsearch's window."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # page_size comes first so that the page_number check below can see it.
    page_size: int = Field(default=50, ge=1, le=100)
    page_number: int = Field(default=1, ge=1)

    @field_validator("page_number")
    @classmethod
    def _inside_result_window(cls, page_number: int, info: ValidationInfo) -> int:
        window = (info.context or {}).get("result_window")
        page_size = info.data.get("page_size")
        if window and page_size and page_number * page_size > window:
            raise ValueError(
                f"page_number * page_size must not exceed {window}; "
                'go further with `cursor` (the Link rel="next" header carries it)'
            )
        return page_number

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


# What a cursor is not bound to: the page it starts (its own position) and the page's size.
_UNBOUND = {"cursor", "page_number", "page_size"}

# The kind of each sort value of a cursor: a number (a rating, a score) or a keyword (a name, an id).
SortValue = Literal["number", "keyword"]
# How Elasticsearch writes the sort value of a missing number (sorted first or last).
_INFINITIES = {"Infinity", "-Infinity"}
# Elasticsearch's long range; a larger integer would not even serialize into the search.
_LONG = 2**63


def _fits(kind: SortValue, value: object) -> bool:
    if kind == "keyword":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_LONG <= value < _LONG
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and value in _INFINITIES


class CursorQuery(PageQuery):
    """Pagination that can also go past the result window: `cursor`, from a `Link: rel="next"`
    header, holds the sort values of the last item seen (Elasticsearch `search_after`).

    A cursor is base64url JSON of those values and an HMAC (the server's `API_CURSOR_SECRET`) of
    them with the endpoint's model and every parameter but the position. A cursor changed by
    hand, made without the secret or taken from another sort, query or filter fails the HMAC
    and is answered 422, instead of silently paging something else; so are values that do not
    fit the endpoint's order (`sort_values`), so nothing malformed reaches Elasticsearch.
    Validation needs the secret in its context (`cursor_key`, see `parse_query`).
    """

    cursor: str | None = Field(
        default=None,
        description='where the page starts: the `cursor` of the previous answer\'s `Link: rel="next"`; '
        "not with `page_number`",
    )
    # The cursor's sort values, decoded and checked once, by the validator.
    _after: list[Any] | None = PrivateAttr(default=None)

    def sort_values(self) -> tuple[SortValue, ...]:
        """The kinds of the values this endpoint sorts by, in order (the genres: name, id)."""
        return ("keyword", "keyword")

    @model_validator(mode="after")
    def _cursor_of_this_request(self, info: ValidationInfo) -> Self:
        if self.cursor is None:
            return self
        if "page_number" in self.model_fields_set:
            raise FieldError("cursor", "give either cursor or page_number, not both")
        self._after = self._check_cursor(self.cursor, (info.context or {})["cursor_key"])
        return self

    def _check_cursor(self, cursor: str, key: bytes) -> list[Any]:
        try:
            values, digest = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, TypeError):
            raise FieldError("cursor", "not a cursor this API issued") from None
        if (
            not isinstance(values, list)
            or not isinstance(digest, str)
            or not hmac.compare_digest(digest, self._digest(values, key))
        ):
            raise FieldError("cursor", "not a cursor of this request (another sort, query or filter?)")
        kinds = self.sort_values()
        if len(values) != len(kinds) or not all(map(_fits, kinds, values)):
            raise FieldError("cursor", f"its values do not fit this order ({', '.join(kinds)})")
        return values

    def _digest(self, values: list[Any], key: bytes) -> str:
        bound = self.model_dump(mode="json", exclude=_UNBOUND)
        text = json.dumps([type(self).__name__, bound, values], sort_keys=True)
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]

    @property
    def after(self) -> list[Any] | None:
        """The sort values to search after, or None on a page-number request."""
        return self._after

    def next_cursor(self, after: list[Any], key: bytes) -> str:
        """The cursor of the page that follows the item whose sort values are `after`."""
        text = json.dumps([after, self._digest(after, key)], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class FilmFilters(BaseModel):
    """The filters of the film list, the film search and the facets; each optional, all combined.

    `genre` holds the ids sorted and without repeats, so that equal filters share a cache entry.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    genre: tuple[UUID, ...] = Field(
        default=(), description=f"genre ids, comma-separated (at most {MAX_GENRES})"
    )
    genre_match: Literal["any", "all"] = Field(
        default="any", description="`any`: films in one of the genres; `all`: in every one"
    )
    person: UUID | None = Field(default=None, description="films with this person (in `role`, when given)")
    role: Role | None = Field(default=None, description="the person's role; needs `person`")
    year_from: int | None = Field(default=None, ge=1800, le=2200, description="created in this year or later")
    year_to: int | None = Field(default=None, ge=1800, le=2200, description="created in this year or earlier")
    rating_from: float | None = Field(default=None, ge=0, le=10, description="rated at least this")
    rating_to: float | None = Field(default=None, ge=0, le=10, description="rated at most this")
    type: FilmType | None = Field(default=None, description="`movie` or `tv_show`")

    @field_validator("genre", mode="before")
    @classmethod
    def _genre_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",")]
            if not all(parts):
                raise ValueError("must be genre ids separated by commas, without empty items")
            if len(parts) > MAX_GENRES:
                raise ValueError(f"at most {MAX_GENRES} genres, got {len(parts)}")
            try:
                return tuple(sorted(set(UUID(part) for part in parts)))
            except ValueError:
                raise ValueError(f"{value!r} is not a comma-separated list of UUIDs") from None
        return value

    @field_serializer("genre", when_used="json")
    def _genre_text(self, genre: tuple[UUID, ...]) -> str | None:
        return ",".join(str(genre_id) for genre_id in genre) or None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.role is not None and self.person is None:
            raise FieldError("role", "a role needs a person (`person=<uuid>`)")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise FieldError("year_to", f"must not be before year_from ({self.year_from})")
        if self.rating_from is not None and self.rating_to is not None and self.rating_from > self.rating_to:
            raise FieldError("rating_to", f"must not be below rating_from ({self.rating_from})")
        return self


class FieldError(ValueError):
    """A check across fields that blames one of them (pydantic would blame the whole model)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class FilmListQuery(CursorQuery, FilmFilters):
    sort: FilmSort = "-imdb_rating"

    def sort_values(self) -> tuple[SortValue, ...]:
        # The rating or the title, then the id (api.repositories.films.SORTS).
        return ("number", "keyword") if self.sort.endswith("imdb_rating") else ("keyword", "keyword")


class SearchQuery(CursorQuery):
    query: str

    def sort_values(self) -> tuple[SortValue, ...]:
        # The person search's order: score, name, id (api.repositories.relevance.PERSON_ORDER).
        return ("number", "keyword", "keyword")

    @field_validator("query", mode="before")
    @classmethod
    def _meaningful(cls, value: object) -> object:
        return meaningful_text(value)


def meaningful_text(value: object, limit: int = MAX_QUERY_LENGTH) -> object:
    """A search text: at most `limit` characters, blanks folded, not empty."""
    if isinstance(value, str):
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        # Surrounding blanks do not change the results, so they do not split the cache either.
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty or only whitespace")
    return value


class FilmSearchQuery(SearchQuery, FilmFilters):
    """A film search: the text query and the film filters."""

    def sort_values(self) -> tuple[SortValue, ...]:
        # Score, rating, id (api.repositories.relevance.FILM_ORDER).
        return ("number", "number", "keyword")


class FacetQuery(FilmFilters):
    """The facets of a film list (no `query`) or of a film search (`query`), with its filters."""

    query: str | None = Field(default=None, description="the text of a search, when the facets are of one")

    @field_validator("query", mode="before")
    @classmethod
    def _meaningful(cls, value: object) -> object:
        return meaningful_text(value)


MAX_PREFIX_LENGTH = 100


class SuggestQuery(BaseModel):
    """What someone has typed so far, and how many suggestions to offer."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    query: str = Field(description=f"the text typed so far (1 to {MAX_PREFIX_LENGTH} characters)")
    size: int = Field(default=10, ge=1, le=20, description="suggestions wanted (1..20)")

    @field_validator("query", mode="before")
    @classmethod
    def _typed(cls, value: object) -> object:
        # Inner blanks are kept single: the completion field keeps word separators.
        return meaningful_text(value, MAX_PREFIX_LENGTH)


Query = TypeVar("Query", bound=BaseModel)


def parse_query(
    model: type[Query], args: Mapping[str, Sequence[str]], result_window: int, cursor_key: bytes
) -> Query:
    """Fold aliases, reject repeated parameters, validate; unknown parameters are ignored.
    `cursor_key` is the secret a cursor's HMAC is checked with."""
    data: dict[str, str] = {}
    for name, values in args.items():
        field = ALIASES.get(name, name)
        if field not in model.model_fields:
            continue
        if field in data or len(values) != 1:
            raise InvalidParameter(field, "given more than once")
        data[field] = values[0]
    try:
        return model.model_validate(data, context={"result_window": result_window, "cursor_key": cursor_key})
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            raise InvalidParameter(cause.field, str(cause)) from None
        parameter = str(first["loc"][0]) if first["loc"] else "query"
        raise InvalidParameter(parameter, first["msg"]) from None


def parse_id(parameter: str, value: str) -> UUID:
    """A path id as a UUID; anything else is the client's mistake (422), not an unknown id (404)."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidParameter(parameter, f"{value!r} is not a valid UUID") from None
