"""People: the repository interface, its Elasticsearch implementation and its cache operations.

A person's films come from the person's own document (the ETL embeds id, title, rating and
roles there), so one `get` answers both the person and the person's film list.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from api.models.film import FilmShort
from api.models.page import Page
from api.models.person import Person, PersonFilm
from api.models.query import PageQuery, SearchQuery
from api.repositories.elastic import ElasticIndex, page_request, paged
from api.repositories.films import short_films
from api.repositories.relevance import PERSON_ORDER, person_query

# The response cache's operation for each method of the interface (see CachedRepository).
CACHE_OPERATIONS = {"get": "person", "films": "person-films", "search": "person-search"}


class PersonRepository(Protocol):
    async def get(self, person_id: UUID) -> Person | None: ...

    async def films(self, person_id: UUID, query: PageQuery) -> Page[FilmShort] | None: ...

    async def search(self, query: SearchQuery) -> Page[Person]: ...


def person_from_doc(doc: dict[str, Any]) -> Person:
    return Person(
        uuid=doc["id"],
        full_name=doc["full_name"],
        films=[PersonFilm(uuid=film["id"], roles=film.get("roles") or []) for film in doc.get("films") or []],
    )


class ElasticPersonRepository:
    def __init__(self, index: ElasticIndex) -> None:
        self._index = index

    async def get(self, person_id: UUID) -> Person | None:
        doc = await self._index.get(str(person_id))
        return None if doc is None else person_from_doc(doc)

    async def films(self, person_id: UUID, query: PageQuery) -> Page[FilmShort] | None:
        doc = await self._index.get(str(person_id))
        if doc is None:
            return None
        films = doc.get("films") or []
        chosen = films[query.offset : query.offset + query.page_size]
        return Page[FilmShort](items=short_films(chosen), total=len(films))

    async def search(self, query: SearchQuery) -> Page[Person]:
        response = await self._index.search(
            query=person_query(query.query),
            sort=PERSON_ORDER,
            **page_request(query),
        )
        docs, total, after = paged(response, query)
        return Page[Person](items=[person_from_doc(doc) for doc in docs], total=total, after=after)
