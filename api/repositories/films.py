"""Films: the repository interface, its Elasticsearch implementation and its cache operations."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from api.models.film import Film, FilmShort, GenreRef, PersonRef
from api.models.page import Page
from api.models.query import FilmListQuery, SearchQuery
from api.repositories.elastic import ElasticIndex, sources, total_hits

SHORT_FIELDS = ["id", "title", "imdb_rating"]
# Relevance: a title hit outweighs people and genres, which outweigh the description.
SEARCH_FIELDS = [
    "title^5",
    "actors_names^2",
    "directors_names^2",
    "writers_names^2",
    "genres^2",
    "description",
]
# Every order ends on the unique id so that pages never overlap.
SORTS: dict[str, list[dict[str, Any]]] = {
    "imdb_rating": [{"imdb_rating": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
    "-imdb_rating": [{"imdb_rating": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    "title": [{"title.raw": "asc"}, {"id": "asc"}],
    "-title": [{"title.raw": "desc"}, {"id": "asc"}],
}
RELEVANCE = [{"_score": "desc"}, {"id": "asc"}]


# The response cache's operation for each method of the interface (see CachedRepository).
CACHE_OPERATIONS = {"get": "film", "list": "films", "search": "film-search"}


class FilmRepository(Protocol):
    async def get(self, film_id: UUID) -> Film | None: ...

    async def list(self, query: FilmListQuery) -> Page[FilmShort]: ...

    async def search(self, query: SearchQuery) -> Page[FilmShort]: ...


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


def search_request(query: SearchQuery) -> dict[str, Any]:
    """The Elasticsearch search for a text query (the benchmark sends it directly as well)."""
    return {
        "query": {
            "multi_match": {
                "query": query.query,
                "fields": SEARCH_FIELDS,
                "type": "best_fields",
                "tie_breaker": 0.3,
                "fuzziness": "AUTO",
                "lenient": True,
            }
        },
        "sort": RELEVANCE,
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
        filters = [] if query.genre is None else [{"term": {"genre_ids": str(query.genre)}}]
        response = await self._index.search(
            query={"bool": {"filter": filters}},
            sort=SORTS[query.sort],
            from_=query.offset,
            size=query.page_size,
            source=SHORT_FIELDS,
            track_total_hits=True,
        )
        return short_page(response)

    async def search(self, query: SearchQuery) -> Page[FilmShort]:
        return short_page(await self._index.search(**search_request(query)))
