"""The cache's pure parts: key normalization, the single in-flight load per key, and the keys the
cached repository builds from a call."""

from __future__ import annotations

import asyncio
from uuid import UUID

from pydantic import TypeAdapter

from api.models.film import FilmShort
from api.models.page import Page
from api.models.person import Person
from api.models.query import PageQuery
from api.repositories.cache import CachedRepository, ResponseCache, request_suffix
from api.repositories.redis_link import RedisLink


def test_request_suffix_ignores_parameter_order():
    assert request_suffix("films", {"b": 2, "a": None}) == request_suffix("films", {"a": None, "b": 2})
    assert request_suffix("films", {"a": 1}) != request_suffix("film-search", {"a": 1})
    assert request_suffix("films", {"q": "a&b=c"}) != request_suffix("films", {"q": "a", "b": "c"})


def test_identical_concurrent_loads_run_once():
    async def scenario() -> tuple[list[int], int]:
        # TTL 0 bypasses Redis entirely (the client never connects), leaving the single-flight logic.
        cache = ResponseCache(RedisLink("redis://127.0.0.1:1/0", timeout=1), index_prefix="unit_", ttl=0)
        calls = 0

        async def load() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            return 42

        adapter = TypeAdapter(int)
        results = await asyncio.gather(
            *(cache.fetch("movies", "film", {"id": 1}, adapter, load) for _ in range(10))
        )
        await cache.fetch("movies", "film", {"id": 2}, adapter, load)
        return results, calls

    results, calls = asyncio.run(scenario())
    assert results == [42] * 10
    assert calls == 2


def test_a_failed_load_reaches_every_waiter_and_is_not_remembered():
    async def scenario() -> tuple[list[object], int]:
        cache = ResponseCache(RedisLink("redis://127.0.0.1:1/0", timeout=1), index_prefix="unit_", ttl=0)
        calls = 0

        async def load() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            raise RuntimeError("boom")

        adapter = TypeAdapter(int)
        outcomes = await asyncio.gather(
            *(cache.fetch("movies", "film", {}, adapter, load) for _ in range(3)), return_exceptions=True
        )
        again = await asyncio.gather(cache.fetch("movies", "film", {}, adapter, load), return_exceptions=True)
        return [*outcomes, *again], calls

    outcomes, calls = asyncio.run(scenario())
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert calls == 2


def test_a_hit_is_parsed_once_per_worker_while_redis_returns_the_same_bytes():
    cache = ResponseCache(RedisLink("redis://127.0.0.1:1/0", timeout=1), index_prefix="unit_", ttl=60)
    adapter = TypeAdapter(list[int])
    first = cache._decode("k", b"[1,2]", adapter)
    assert cache._decode("k", b"[1,2]", adapter) is first
    changed = cache._decode("k", b"[3]", adapter)
    assert changed == [3]
    assert cache._decode("other", b"[1,2]", adapter) is not first


class RecordingCache(ResponseCache):
    """Records what each call asks of the cache, then loads straight through."""

    def __init__(self) -> None:
        super().__init__(RedisLink("redis://127.0.0.1:1/0", timeout=1), index_prefix="unit_", ttl=0)
        self.calls: list[tuple[str, str, dict[str, object], object]] = []

    async def fetch(self, index, operation, params, adapter, load):
        self.calls.append((index, operation, dict(params), adapter))
        return await load()


class PersonsInMemory:
    async def get(self, person_id: UUID) -> Person | None:
        return Person(uuid=person_id, full_name="Ridley Scott", films=[])

    async def films(self, person_id: UUID, query: PageQuery) -> Page[FilmShort] | None:
        return Page[FilmShort](items=[], total=0)


def test_the_cached_repository_keys_each_call_by_its_id_and_query_fields():
    person_id = UUID("00000000-0000-4000-8000-000000000001")
    cache = RecordingCache()
    cached = CachedRepository(PersonsInMemory(), cache, "persons", {"get": "person", "films": "person-films"})
    repository = cached.as_repository()

    async def scenario() -> tuple[object, object]:
        return await repository.get(person_id), await repository.films(person_id, PageQuery(page_size=5))

    person, films = asyncio.run(scenario())

    assert person == Person(uuid=person_id, full_name="Ridley Scott", films=[])
    assert films == Page[FilmShort](items=[], total=0)
    (_, get_operation, get_params, get_adapter), (_, films_operation, films_params, _) = cache.calls
    assert (get_operation, get_params) == ("person", {"id": person_id})
    assert (films_operation, films_params) == (
        "person-films",
        {"id": person_id, "page_size": 5, "page_number": 1},
    )
    # Answers are stored through the wrapped method's own return type.
    assert get_adapter.validate_json(b"null") is None
    assert not hasattr(cached, "search")
