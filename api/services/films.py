"""Film use cases."""

from __future__ import annotations

from uuid import UUID

from api.errors import NotFound
from api.models.facets import Facets
from api.models.film import Film, FilmShort
from api.models.page import Page
from api.models.query import FacetQuery, FilmListQuery, FilmSearchQuery
from api.repositories.films import FilmRepository


class FilmService:
    def __init__(self, films: FilmRepository) -> None:
        self._films = films

    async def film(self, film_id: UUID) -> Film:
        film = await self._films.get(film_id)
        if film is None:
            raise NotFound(f"film {film_id} not found")
        return film

    async def films(self, query: FilmListQuery) -> Page[FilmShort]:
        return await self._films.list(query)

    async def search(self, query: FilmSearchQuery) -> Page[FilmShort]:
        return await self._films.search(query)

    async def facets(self, query: FacetQuery) -> Facets:
        return await self._films.facets(query)
