"""Films: the repository interface, its Elasticsearch implementation and its cache operations."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from pydantic import TypeAdapter

from api.models.facets import DecadeCount, Facets, GenreCount, RatingCount, TypeCount
from api.models.film import Film, FilmShort, GenreRef, PersonRef
from api.models.page import Page
from api.models.query import FacetQuery, FilmFilters, FilmListQuery, FilmSearchQuery
from api.repositories.elastic import ElasticIndex, page_request, paged
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
CACHE_OPERATIONS = {"get": "film", "list": "films", "search": "film-search", "facets": "film-facets"}


class FilmRepository(Protocol):
    async def get(self, film_id: UUID) -> Film | None: ...

    async def list(self, query: FilmListQuery) -> Page[FilmShort]: ...

    async def search(self, query: FilmSearchQuery) -> Page[FilmShort]: ...

    async def facets(self, query: FacetQuery) -> Facets: ...


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


_SHORT_FILMS = TypeAdapter(list[FilmShort])


def short_films(docs: list[dict[str, Any]]) -> list[FilmShort]:
    """Films as list items, from sources with `id`, `title` and `imdb_rating`: one validation of the
    whole list (70 instead of 124 us for a page of 50, against one model per film)."""
    return _SHORT_FILMS.validate_python(
        [{"uuid": doc["id"], "title": doc["title"], "imdb_rating": doc.get("imdb_rating")} for doc in docs]
    )


def short_page(response: dict[str, Any], query: FilmListQuery | FilmSearchQuery) -> Page[FilmShort]:
    docs, total, after = paged(response, query)
    return Page[FilmShort](items=short_films(docs), total=total, after=after)


PEOPLE_PATHS = {"actor": "actors", "writer": "writers", "director": "directors"}


def filter_groups(query: FilmFilters) -> dict[str, list[dict[str, Any]]]:
    """The filters as Elasticsearch `filter` clauses (no scoring; cached by Elasticsearch), by
    facet: `genres`, `years`, `ratings`, `types`, and `person` (which no facet leaves out)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    if query.genre:
        ids = [str(genre_id) for genre_id in query.genre]
        if query.genre_match == "all":
            groups["genres"] = [{"term": {"genre_ids": genre_id}} for genre_id in ids]
        else:
            groups["genres"] = [{"terms": {"genre_ids": ids}}]
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
        groups["person"] = [
            person[0] if len(person) == 1 else {"bool": {"should": person, "minimum_should_match": 1}}
        ]
    if query.year_from is not None or query.year_to is not None:
        years: dict[str, str] = {}
        if query.year_from is not None:
            years["gte"] = f"{query.year_from:04d}-01-01"
        if query.year_to is not None:
            years["lte"] = f"{query.year_to:04d}-12-31"
        groups["years"] = [{"range": {"creation_date": years}}]
    if query.rating_from is not None or query.rating_to is not None:
        ratings: dict[str, float] = {}
        if query.rating_from is not None:
            ratings["gte"] = query.rating_from
        if query.rating_to is not None:
            ratings["lte"] = query.rating_to
        groups["ratings"] = [{"range": {"imdb_rating": ratings}}]
    if query.type is not None:
        groups["types"] = [{"term": {"type": query.type}}]
    return groups


def filter_clauses(query: FilmFilters, without: str = "") -> list[dict[str, Any]]:
    """Every filter clause, but those of the facet `without`."""
    return [
        clause for group, clauses in filter_groups(query).items() if group != without for clause in clauses
    ]


# Rating bands of the facets: [0, 1), [1, 2) ... [9, 10]; the last band's end is widened past 10.
RATING_BANDS = [{"from": band, "to": band + 1 if band < 9 else 10.001} for band in range(10)]


def facets_request(query: FacetQuery) -> dict[str, Any]:
    """No hits, four aggregations: each under a filter of every filter but its own."""

    def under(facet: str, aggregation: dict[str, Any]) -> dict[str, Any]:
        return {
            "filter": {"bool": {"filter": filter_clauses(query, without=facet)}},
            "aggs": {facet: aggregation},
        }

    genres = {
        "terms": {"field": "genre_ids", "size": 500},
        # A film's genre_list holds the names: one film of the bucket names its genre.
        "aggs": {"named": {"top_hits": {"size": 1, "_source": ["genre_list"]}}},
    }
    return {
        "query": film_query(query.query) if query.query else {"match_all": {}},
        "size": 0,
        "track_total_hits": False,
        "aggs": {
            "genres": under("genres", genres),
            "years": under(
                "years",
                {
                    "date_histogram": {
                        "field": "creation_date",
                        "calendar_interval": "year",
                        "min_doc_count": 1,
                    }
                },
            ),
            "ratings": under("ratings", {"range": {"field": "imdb_rating", "ranges": RATING_BANDS}}),
            "types": under("types", {"terms": {"field": "type", "size": 10}}),
        },
    }


def facets_from(response: dict[str, Any]) -> Facets:
    aggregations = response["aggregations"]
    genres = []
    for bucket in aggregations["genres"]["genres"]["buckets"]:
        film = bucket["named"]["hits"]["hits"][0]["_source"]
        name = next(genre["name"] for genre in film["genre_list"] if genre["id"] == bucket["key"])
        genres.append(GenreCount(uuid=bucket["key"], name=name, count=bucket["doc_count"]))
    decades: dict[int, int] = {}
    for bucket in aggregations["years"]["years"]["buckets"]:
        decade = int(bucket["key_as_string"][:4]) // 10 * 10
        decades[decade] = decades.get(decade, 0) + bucket["doc_count"]
    ratings = [
        RatingCount.model_validate(
            {"from": bucket["from"], "to": min(bucket["to"], 10), "count": bucket["doc_count"]}
        )
        for bucket in aggregations["ratings"]["ratings"]["buckets"]
    ]
    types = [
        TypeCount(type=b["key"], count=b["doc_count"]) for b in aggregations["types"]["types"]["buckets"]
    ]
    return Facets(
        genres=sorted(genres, key=lambda genre: (-genre.count, genre.name)),
        years=[DecadeCount(decade=decade, count=count) for decade, count in sorted(decades.items())],
        ratings=ratings,
        types=types,
    )


def search_request(query: FilmSearchQuery) -> dict[str, Any]:
    """The Elasticsearch search for a text query (the benchmark sends it directly as well)."""
    filters = filter_clauses(query)
    text = film_query(query.query)
    return {
        "query": {"bool": {"must": [text], "filter": filters}} if filters else text,
        "sort": FILM_ORDER,
        "source": SHORT_FIELDS,
        **page_request(query),
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
            source=SHORT_FIELDS,
            **page_request(query),
        )
        return short_page(response, query)

    async def search(self, query: FilmSearchQuery) -> Page[FilmShort]:
        return short_page(await self._index.search(**search_request(query)), query)

    async def facets(self, query: FacetQuery) -> Facets:
        return facets_from(await self._index.aggregate(**facets_request(query)))
