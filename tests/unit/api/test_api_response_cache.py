"""The cache's pure parts: key normalization, the single in-flight load per key, the generation it
tells the request's listener, and the keys the cached repository builds from a call."""

from __future__ import annotations

import asyncio
from uuid import UUID

from pydantic import TypeAdapter

from api.models.film import FilmShort
from api.models.page import Page
from api.models.person import Person
from api.models.query import PageQuery
from api.repositories.cache import CachedRepository, ResponseCache, entry_listener, request_suffix
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


class ScriptedRedis:
    """Answers each command with the next reply of a script and records the command's name."""

    def __init__(self, *replies: object) -> None:
        self.replies = list(replies)
        self.commands: list[object] = []

    async def call(self, *args: object) -> object:
        self.commands.append(args[0])
        return self.replies.pop(0)


class Revalidated(Exception):
    pass


def _fetch_listening(redis: ScriptedRedis, ttl: int, stop: bool = False) -> tuple[object, list[str], int]:
    """One fetch with an entry listener (raising Revalidated when `stop`): its outcome, the
    entry keys the listener heard, and how many loads ran."""
    heard: list[str] = []
    loads = 0

    class Listener:
        may_stop = stop

        def seen(self, entry_key: str) -> None:
            heard.append(entry_key)
            if stop:
                raise Revalidated

    listener = Listener()

    async def load() -> int:
        nonlocal loads
        loads += 1
        return 5

    async def scenario() -> object:
        cache = ResponseCache(redis, index_prefix="unit_", ttl=ttl)  # type: ignore[arg-type]
        entry_listener.set(listener)
        try:
            return await cache.fetch(("movies", "persons"), "suggest", {}, TypeAdapter(int), load)
        except Revalidated as stopped:
            return stopped

    return asyncio.run(scenario()), heard, loads


# The key of the entry of `suggest` with no parameters over unit_movies and unit_persons.
SUGGEST_ENTRY = "api:unit_movies+unit_persons:{}:suggest?"


def test_a_hit_tells_the_listener_its_entry_key_in_the_same_round_trip():
    redis = ScriptedRedis([b"4.1", b"42"])
    assert _fetch_listening(redis, ttl=60) == (42, [SUGGEST_ENTRY.format("4.1")], 0)
    assert redis.commands == ["EVALSHA"]


def test_a_listener_that_raises_stops_the_request_before_the_load():
    redis = ScriptedRedis([b"4.1"])  # a miss
    outcome, heard, loads = _fetch_listening(redis, ttl=60, stop=True)
    assert isinstance(outcome, Revalidated)
    assert (heard, loads) == ([SUGGEST_ENTRY.format("4.1")], 0)
    assert redis.commands == ["EVALSHA"]  # nothing stored either


def test_with_the_cache_off_the_listener_still_hears_the_generations():
    redis = ScriptedRedis([b"3", None])  # the second index was never loaded
    assert _fetch_listening(redis, ttl=0) == (5, [SUGGEST_ENTRY.format("3.0")], 1)
    assert redis.commands == ["MGET"]


def test_with_the_cache_off_a_listener_that_may_stop_hears_before_the_load():
    redis = ScriptedRedis([b"3", b"1"])
    outcome, heard, loads = _fetch_listening(redis, ttl=0, stop=True)
    assert isinstance(outcome, Revalidated)
    assert (heard, loads) == ([SUGGEST_ENTRY.format("3.1")], 0)


def test_with_the_cache_off_the_generation_is_read_while_the_answer_loads():
    """A listener that cannot stop the request does not make the load wait for Redis: here Redis
    answers only once the load has begun, which would never happen one after the other."""
    load_began = asyncio.Event()

    class RedisAfterTheLoad:
        async def call(self, *args: object) -> object:
            await load_began.wait()
            return [b"7"]

    heard: list[str] = []

    class Listener:
        may_stop = False

        def seen(self, entry_key: str) -> None:
            heard.append(entry_key)

    async def load() -> int:
        load_began.set()
        return 5

    async def scenario() -> int:
        cache = ResponseCache(RedisAfterTheLoad(), index_prefix="unit_", ttl=0)  # type: ignore[arg-type]
        entry_listener.set(Listener())
        return await asyncio.wait_for(cache.fetch("movies", "film", {}, TypeAdapter(int), load), 5)

    assert asyncio.run(scenario()) == 5
    assert heard == ["api:unit_movies:7:film?"]


def test_a_hit_s_value_knows_the_bytes_it_came_from_until_its_entry_goes():
    cache = ResponseCache(RedisLink("redis://127.0.0.1:1/0", timeout=1), index_prefix="unit_", ttl=60)
    adapter = TypeAdapter(list[int])
    value = cache._decode("k", b"[1, 2]", adapter)
    assert cache.source(value) == b"[1, 2]"
    assert cache.source([1, 2]) is None  # equal, but not what was parsed
    replaced = cache._decode("k", b"[3]", adapter)  # the entry changed in Redis
    assert cache.source(value) is None
    assert cache.source(replaced) == b"[3]"


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
