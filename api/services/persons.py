"""Person use cases."""

from __future__ import annotations

from uuid import UUID

from api.errors import NotFound
from api.models.film import FilmShort
from api.models.page import Page
from api.models.person import Person
from api.models.query import PageQuery, SearchQuery
from api.repositories.persons import PersonRepository


class PersonService:
    def __init__(self, persons: PersonRepository) -> None:
        self._persons = persons

    async def person(self, person_id: UUID) -> Person:
        person = await self._persons.get(person_id)
        if person is None:
            raise NotFound(f"person {person_id} not found")
        return person

    async def films(self, person_id: UUID, query: PageQuery) -> Page[FilmShort]:
        films = await self._persons.films(person_id, query)
        if films is None:
            raise NotFound(f"person {person_id} not found")
        return films

    async def search(self, query: SearchQuery) -> Page[Person]:
        return await self._persons.search(query)
