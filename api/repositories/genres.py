"""Genres: the repository interface, its Elasticsearch implementation and its cached wrapper."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from pydantic import TypeAdapter

from api.models.genre import Genre
from api.models.page import Page
from api.models.query import PageQuery
from api.repositories.cache import ResponseCache
from api.repositories.elastic import ElasticIndex, sources, total_hits
from es_mappings import GENRES


class GenreRepository(Protocol):
    async def get(self, genre_id: UUID) -> Genre | None: ...

    async def list(self, query: PageQuery) -> Page[Genre]: ...


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

    async def list(self, query: PageQuery) -> Page[Genre]:
        response = await self._index.search(
            query={"match_all": {}},
            sort=[{"name.raw": "asc"}, {"id": "asc"}],
            from_=query.offset,
            size=query.page_size,
            track_total_hits=True,
        )
        items = [genre_from_doc(doc) for doc in sources(response)]
        return Page[Genre](items=items, total=total_hits(response))


_GENRE = TypeAdapter(Genre | None)
_GENRE_PAGE = TypeAdapter(Page[Genre])


class CachedGenreRepository:
    """The same interface, answered from the response cache when it can be."""

    def __init__(self, inner: GenreRepository, cache: ResponseCache) -> None:
        self._inner = inner
        self._cache = cache

    async def get(self, genre_id: UUID) -> Genre | None:
        return await self._cache.fetch(
            GENRES, "genre", {"id": genre_id}, _GENRE, lambda: self._inner.get(genre_id)
        )

    async def list(self, query: PageQuery) -> Page[Genre]:
        return await self._cache.fetch(
            GENRES, "genres", query.model_dump(), _GENRE_PAGE, lambda: self._inner.list(query)
        )
