"""People as the API returns them, with the roles they had in each film."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel

Role = Literal["actor", "writer", "director"]


class PersonFilm(BaseModel):
    uuid: UUID
    roles: list[Role]


class Person(BaseModel):
    uuid: UUID
    full_name: str
    films: list[PersonFilm] = []
