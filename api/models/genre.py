"""Genres as the API returns them."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel


class Genre(BaseModel):
    uuid: UUID
    name: str
    description: str | None = None
    film_count: int | None = None
