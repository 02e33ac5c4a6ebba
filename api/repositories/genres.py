"""Genres: the repository interface, its Elasticsearch implementation and its cache operations."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from api.models.genre import Genre
from api.models.page import Page
from api.models.query import CursorQuery
from api.repositories.elastic import ElasticIndex, page_request, paged

# The response cache's operation for each method of the interface (see CachedRepository).
CACHE_OPERATIONS = {"get": "genre", "list": "genres"}
GENRE_ORDER: list[dict[str, Any]] = [{"name.raw": "asc"}, {"id": "asc"}]


class GenreRepository(Protocol):
    async def get(self, genre_id: UUID) -> Genre | None: ...

    async def list(self, query: CursorQuery) -> Page[Genre]: ...


def genre_from_doc(doc: dict[str, Any]) -> Genre:
    return Genre(
        uuid=doc["id"],
        name=doc["name"],
        description=doc.get("description"),
        film_count=doc.get("film_count"),
    )


class ElasticGenreRepository:
    def __init__(self, index: ElasticIndex) -> None:
        self._index = index

    async def get(self, genre_id: UUID) -> Genre | None:
        doc = await self._index.get(str(genre_id))
        return None if doc is None else genre_from_doc(doc)

    async def list(self, query: CursorQuery) -> Page[Genre]:
        response = await self._index.search(
            query={"match_all": {}},
            sort=GENRE_ORDER,
            **page_request(query),
        )
        docs, total, after = paged(response, query)
        return Page[Genre](items=[genre_from_doc(doc) for doc in docs], total=total, after=after)
