"""Query parameters of the list and search endpoints, with the aliases existing clients send.

Validation yields a frozen model whose fields, defaults included, are the normalized request:
the cache key is built from it, so `?page[size]=10&sort=title` and `?sort=title&page_size=10`
share one cache entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from api.errors import InvalidParameter

# Old client spellings -> canonical parameter names.
ALIASES = {"page[number]": "page_number", "page[size]": "page_size", "filter[genre]": "genre"}
MAX_QUERY_LENGTH = 256

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
            raise ValueError(f"page_number * page_size must not exceed {window}")
        return page_number

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


class FilmListQuery(PageQuery):
    sort: FilmSort = "-imdb_rating"
    genre: UUID | None = None


class SearchQuery(PageQuery):
    query: str

    @field_validator("query", mode="before")
    @classmethod
    def _meaningful(cls, value: object) -> object:
        if isinstance(value, str):
            if len(value) > MAX_QUERY_LENGTH:
                raise ValueError(f"must be at most {MAX_QUERY_LENGTH} characters")
            # Surrounding blanks do not change the results, so they do not split the cache either.
            value = " ".join(value.split())
            if not value:
                raise ValueError("must not be empty or only whitespace")
        return value


Query = TypeVar("Query", bound=PageQuery)


def parse_query(model: type[Query], args: Mapping[str, Sequence[str]], result_window: int) -> Query:
    """Fold aliases, reject repeated parameters, validate; unknown parameters are ignored."""
    data: dict[str, str] = {}
    for name, values in args.items():
        field = ALIASES.get(name, name)
        if field not in model.model_fields:
            continue
        if field in data or len(values) != 1:
            raise InvalidParameter(field, "given more than once")
        data[field] = values[0]
    try:
        return model.model_validate(data, context={"result_window": result_window})
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        parameter = str(first["loc"][0]) if first["loc"] else "query"
        raise InvalidParameter(parameter, first["msg"]) from None


def parse_id(parameter: str, value: str) -> UUID:
    """A path id as a UUID; anything else is the client's mistake (422), not an unknown id (404)."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidParameter(parameter, f"{value!r} is not a valid UUID") from None
