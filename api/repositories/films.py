"""Films: the repository interface, its Elasticsearch implementation and its cache operations."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from api.models.film import Film, FilmShort, GenreRef, PersonRef
from api.models.page import Page
from api.models.query import FilmFilters, FilmListQuery, FilmSearchQuery
from api.repositories.elastic import ElasticIndex, sources, total_hits
from api.repositories.relevance import FILM_ORDER, film_query

SHORT_FIELDS = ["id", "title", "imdb_rating"]
# Every order ends on the unique id so that pages never overlap.
SORTS: dict[str, list[dict[str, Any]]] = {
    "imdb_rating": [{"imdb_rating": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
    "-imdb_rating": [{"imdb_rating": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    "title": [{"title.raw": "asc"}, {"id": "asc"}],
    "-title": [{"title.raw": "desc"}, {"id": "asc"}],
}


# The response cache's operation for each method of the interface (see CachedRepository).
CACHE_OPERATIONS = {"get": "film", "list": "films", "search": "film-search"}


class FilmRepository(Protocol):
    async def get(self, film_id: UUID) -> Film | None: ...

    async def list(self, query: FilmListQuery) -> Page[FilmShort]: ...

    async def search(self, query: FilmSearchQuery) -> Page[FilmShort]: ...


def _people(doc: dict[str, Any], field: str) -> list[PersonRef]:
    return [PersonRef(uuid=person["id"], full_name=person["name"]) for person in doc.get(field) or []]


def film_from_doc(doc: dict[str, Any]) -> Film:
    return Film(
        uuid=doc["id"],
        title=doc["title"],
        imdb_rating=doc.get("imdb_rating"),
        description=doc.get("description"),
        creation_date=doc.get("creation_date"),
        type=doc.get("type"),
        genre=[GenreRef(uuid=genre["id"], name=genre["name"]) for genre in doc.get("genre_list") or []],
        actors=_people(doc, "actors"),
        writers=_people(doc, "writers"),
        directors=_people(doc, "directors"),
    )


def short_page(response: dict[str, Any]) -> Page[FilmShort]:
    items = [
        FilmShort(uuid=doc["id"], title=doc["title"], imdb_rating=doc.get("imdb_rating"))
        for doc in sources(response)
    ]
    return Page[FilmShort](items=items, total=total_hits(response))


PEOPLE_PATHS = {"actor": "actors", "writer": "writers", "director": "directors"}


def filter_clauses(query: FilmFilters) -> list[dict[str, Any]]:
    """The filters as Elasticsearch `filter` clauses (no scoring; cached by Elasticsearch)."""
    clauses: list[dict[str, Any]] = []
    if query.genre:
        ids = [str(genre_id) for genre_id in query.genre]
        if query.genre_match == "all":
            clauses.extend({"term": {"genre_ids": genre_id}} for genre_id in ids)
        else:
            clauses.append({"terms": {"genre_ids": ids}})
    if query.person is not None:
        # Nested, so that the id and the role belong to one entry of the same person.
        roles = [query.role] if query.role else list(PEOPLE_PATHS)
        person = [
            {
                "nested": {
                    "path": PEOPLE_PATHS[role],
                    "query": {"term": {f"{PEOPLE_PATHS[role]}.id": str(query.person)}},
                }
            }
            for role in roles
        ]
        clauses.append(
            person[0] if len(person) == 1 else {"bool": {"should": person, "minimum_should_match": 1}}
        )
    if query.year_from is not None or query.year_to is not None:
        years: dict[str, str] = {}
        if query.year_from is not None:
            years["gte"] = f"{query.year_from:04d}-01-01"
        if query.year_to is not None:
            years["lte"] = f"{query.year_to:04d}-12-31"
        clauses.append({"range": {"creation_date": years}})
    if query.rating_from is not None or query.rating_to is not None:
        ratings: dict[str, float] = {}
        if query.rating_from is not None:
            ratings["gte"] = query.rating_from
        if query.rating_to is not None:
            ratings["lte"] = query.rating_to
        clauses.append({"range": {"imdb_rating": ratings}})
    if query.type is not None:
        clauses.append({"term": {"type": query.type}})
    return clauses


def search_request(query: FilmSearchQuery) -> dict[str, Any]:
    """The Elasticsearch search for a text query (the benchmark sends it directly as well)."""
    filters = filter_clauses(query)
    text = film_query(query.query)
    return {
        "query": {"bool": {"must": [text], "filter": filters}} if filters else text,
        "sort": FILM_ORDER,
        "from_": query.offset,
        "size": query.page_size,
        "source": SHORT_FIELDS,
        "track_total_hits": True,
    }


class ElasticFilmRepository:
    def __init__(self, index: ElasticIndex) -> None:
        self._index = index

    async def get(self, film_id: UUID) -> Film | None:
        doc = await self._index.get(str(film_id))
        return None if doc is None else film_from_doc(doc)

    async def list(self, query: FilmListQuery) -> Page[FilmShort]:
        response = await self._index.search(
            query={"bool": {"filter": filter_clauses(query)}},
            sort=SORTS[query.sort],
            from_=query.offset,
            size=query.page_size,
            source=SHORT_FIELDS,
            track_total_hits=True,
        )
        return short_page(response)

    async def search(self, query: FilmSearchQuery) -> Page[FilmShort]:
        return short_page(await self._index.search(**search_request(query)))
