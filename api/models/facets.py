"""Facets: how many films of a search or list fall into each genre, decade, rating band and type."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.models.film import FilmType


class GenreCount(BaseModel):
    uuid: UUID
    name: str
    count: int


class DecadeCount(BaseModel):
    decade: int = Field(description="the decade's first year: 1970 for 1970-1979")
    count: int


class RatingCount(BaseModel):
    # `from` is a Python keyword: the field has another name and answers under the alias.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    rating_from: float = Field(alias="from", description="inclusive")
    rating_to: float = Field(alias="to", description="exclusive, but 10 is in the last band")
    count: int


class TypeCount(BaseModel):
    type: FilmType
    count: int


class Facets(BaseModel):
    """Each facet counts with every filter but its own (disjunctive facets): with Drama selected,
    the genre counts still say how many films each other genre would add."""

    genres: list[GenreCount]
    years: list[DecadeCount]
    ratings: list[RatingCount]
    types: list[TypeCount]
