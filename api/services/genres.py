"""Genre use cases."""

from __future__ import annotations

from uuid import UUID

from api.errors import NotFound
from api.models.genre import Genre
from api.models.page import Page
from api.models.query import CursorQuery
from api.repositories.genres import GenreRepository


class GenreService:
    def __init__(self, genres: GenreRepository) -> None:
        self._genres = genres

    async def genre(self, genre_id: UUID) -> Genre:
        genre = await self._genres.get(genre_id)
        if genre is None:
            raise NotFound(f"genre {genre_id} not found")
        return genre

    async def genres(self, query: CursorQuery) -> Page[Genre]:
        return await self._genres.list(query)
