"""The cache's pure parts: key normalization and the single in-flight load per key."""

from __future__ import annotations

import asyncio

from pydantic import TypeAdapter

from api.repositories.cache import ResponseCache, request_suffix
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
