"""Films as the API returns them: the short form for lists, the full form for one film."""

from __future__ import annotations

import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

FilmType = Literal["movie", "tv_show"]


class FilmShort(BaseModel):
    uuid: UUID
    title: str
    imdb_rating: float | None = Field(default=None, ge=0, le=10)


class GenreRef(BaseModel):
    uuid: UUID
    name: str


class PersonRef(BaseModel):
    uuid: UUID
    full_name: str


class Film(FilmShort):
    description: str | None = None
    creation_date: datetime.date | None = None
    type: FilmType | None = None
    genre: list[GenreRef] = []
    actors: list[PersonRef] = []
    writers: list[PersonRef] = []
    directors: list[PersonRef] = []
