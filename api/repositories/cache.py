"""The response cache, and the one wrapper that puts it around any repository: Redis, keyed by
the normalized request and the index generation, with a single in-flight load per key.

The ETL INCRs the index's generation key after each load, so a bumped generation makes every
older key unreachable at once; the TTL only bounds how long the dead keys linger. Redis being down
is not an error: answers come straight from Elasticsearch and the outage is logged once.

The lookup that finds an entry reads the generation with it, and tells the entry's key (request
and generation) to the request's `entry_listener`: the HTTP caching (`api.routes.conditional`)
builds its entity tag from that key, so a tagged answer costs one Redis round trip, and the tag
names the very entry the answer is. A listener that raises ends the request before anything is
loaded (a 304).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import typing
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel, TypeAdapter
from redis.exceptions import RedisError, ResponseError

from api.metrics import CACHE
from api.repositories.redis_link import RedisLink
from es_mappings import generation_key, index_name

log = logging.getLogger(__name__)

Value = TypeVar("Value")
Repository = TypeVar("Repository")

# One round trip per hit: read the generation (of each index an answer reads, joined by dots),
# then the entry of that generation.
_LOOKUP_SCRIPT = """
local generations = {}
for i, key in ipairs(KEYS) do generations[i] = redis.call('GET', key) or '0' end
local generation = table.concat(generations, '.')
return {generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
"""
_LOOKUP_SHA = hashlib.sha1(_LOOKUP_SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis names scripts so)


def request_suffix(operation: str, params: Mapping[str, object]) -> str:
    """The generation-independent part of a key: the operation and its sorted parameters."""
    # Escaping the three separators keeps keys unambiguous; urlencode would cost a tenth of a hit.
    canonical = "&".join(
        f"{name}={'' if value is None else str(value).translate(_SEPARATORS)}"
        for name, value in sorted(params.items())
    )
    return f":{operation}?{canonical}"


# Parsed hits a worker keeps (see ResponseCache._decode); a few MB at most.
DECODED_ENTRIES = 1024

_SEPARATORS = str.maketrans({"%": "%25", "&": "%26", "=": "%3D"})


class EntryListener(Protocol):
    """Told the entry key (generation included) of each lookup made for a request."""

    # Whether `seen` may raise to end the request (a 304): then nothing may be loaded before it.
    may_stop: bool

    def seen(self, entry_key: str) -> None: ...


# The current request's listener (a context variable: each request is a task of its own); None
# when nobody serving the request asks.
entry_listener: ContextVar[EntryListener | None] = ContextVar("entry_listener", default=None)


class ResponseCache:
    """Fetches a value through Redis, loading it at most once per worker on a miss."""

    def __init__(self, redis: RedisLink, index_prefix: str, ttl: int) -> None:
        self._redis = redis
        self._prefix = index_prefix
        self._ttl = ttl
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._decoded: dict[str, tuple[bytes, Any]] = {}
        # The same entries by the identity of the parsed value: the bytes a hit's value came from.
        self._sources: dict[int, tuple[Any, bytes]] = {}
        self._redis_down = False

    @property
    def ttl(self) -> int:
        return self._ttl

    async def generation(self, indices: tuple[str, ...]) -> str | None:
        """The generations of `indices` joined by dots (as in the cache keys), None with Redis down."""
        try:
            values = await self._redis.call("MGET", *(generation_key(name, self._prefix) for name in indices))
        except RedisError as error:
            self._note_failure(error)
            return None
        self._note_success()
        if not isinstance(values, list):
            return None
        return ".".join(value.decode() if isinstance(value, bytes) else "0" for value in values)

    async def fetch(
        self,
        index: str | tuple[str, ...],
        operation: str,
        params: Mapping[str, object],
        adapter: TypeAdapter[Value],
        load: Callable[[], Awaitable[Value]],
    ) -> Value:
        """`index` is the index the answer comes from, or every index it reads (suggestions)."""
        indices = (index,) if isinstance(index, str) else index
        head = f"api:{'+'.join(index_name(name, self._prefix) for name in indices)}:"
        suffix = request_suffix(operation, params)
        if self._ttl == 0:
            CACHE.labels(operation, "off").inc()
            return await self._uncached(indices, head, suffix, load)
        try:
            keys = [generation_key(name, self._prefix) for name in indices]
            reply = await self._lookup(keys, head, suffix)
        except RedisError as error:
            CACHE.labels(operation, "error").inc()
            self._note_failure(error)
            return await self._once(head + suffix, load)
        self._note_success()
        generation, cached = reply[0].decode(), reply[1]
        key = f"{head}{generation}{suffix}"
        listener = entry_listener.get()
        if listener is not None:
            listener.seen(key)
        if cached:
            CACHE.labels(operation, "hit").inc()
            return self._decode(key, cached, adapter)
        CACHE.labels(operation, "miss").inc()
        return await self._once(key, lambda: self._load_and_store(key, adapter, load))

    async def _uncached(
        self, indices: tuple[str, ...], head: str, suffix: str, load: Callable[[], Awaitable[Value]]
    ) -> Value:
        """The cache off: nothing is stored, but an entity tag still comes from the generation,
        read while the answer loads unless the listener may stop the request first."""
        listener = entry_listener.get()
        if listener is None:
            return await self._once(head + suffix, load)
        # Unless the listener may stop the request, the load's task is scheduled first, so that
        # its request to Elasticsearch goes out before the generation's to Redis.
        loading = None if listener.may_stop else self._shared(head + suffix, load)
        generation = await self.generation(indices)
        if generation is not None:
            listener.seen(f"{head}{generation}{suffix}")
        return await asyncio.shield(loading if loading is not None else self._shared(head + suffix, load))

    def _decode(self, key: str, cached: bytes, adapter: TypeAdapter[Value]) -> Value:
        """Parse a hit, reusing this worker's last parse of the very same bytes: Redis stays the
        source of truth (every hit still asks it), only the repeated parsing is saved."""
        known = self._decoded.get(key)
        if known is not None and known[0] == cached:
            return cast(Value, known[1])
        value = adapter.validate_json(cached)
        if known is not None:
            self._forget(key)
        elif len(self._decoded) >= DECODED_ENTRIES:
            self._forget(next(iter(self._decoded)))  # the oldest
        self._decoded[key] = (cached, value)
        self._sources[id(value)] = (value, cached)
        return value

    def _forget(self, key: str) -> None:
        _, value = self._decoded.pop(key)
        self._sources.pop(id(value), None)

    def source(self, value: object) -> bytes | None:
        """The JSON a hit's `value` was parsed from, None for a value that is not one: an answer
        that goes out unchanged is sent as those bytes instead of being serialized again."""
        known = self._sources.get(id(value))
        # The identity check keeps a recycled id() of some other object from matching.
        return known[1] if known is not None and known[0] is value else None

    async def _lookup(self, generation_keys: list[str], head: str, suffix: str) -> tuple[bytes, bytes | None]:
        """The index generation and the entry cached for it (None on a miss), in one round trip."""
        script: tuple[str | int, ...] = (
            "EVALSHA",
            _LOOKUP_SHA,
            len(generation_keys),
            *generation_keys,
            head,
            suffix,
        )
        try:
            reply = await self._redis.call(*script)
        except ResponseError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
            # Redis forgot the script (restart, SCRIPT FLUSH): load it once more.
            await self._redis.call("SCRIPT", "LOAD", _LOOKUP_SCRIPT)
            reply = await self._redis.call(*script)
        if not isinstance(reply, list) or not reply:
            raise ResponseError(f"unexpected reply to the cache lookup: {reply!r}")
        # A Lua table ends at its first nil, so a miss comes back as [generation].
        return reply[0], reply[1] if len(reply) > 1 else None

    async def _load_and_store(
        self, key: str, adapter: TypeAdapter[Value], load: Callable[[], Awaitable[Value]]
    ) -> Value:
        value = await load()
        try:
            await self._redis.call("SET", key, adapter.dump_json(value), "EX", self._ttl)
        except RedisError as error:
            self._note_failure(error)
        return value

    async def _once(self, key: str, load: Callable[[], Awaitable[Value]]) -> Value:
        """Identical concurrent misses share one load; a cancelled waiter does not cancel it."""
        return await asyncio.shield(self._shared(key, load))

    def _shared(self, key: str, load: Callable[[], Awaitable[Value]]) -> asyncio.Future[Value]:
        """The load in flight for `key`, started now if there is none."""
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(load())
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return future

    def _note_failure(self, error: RedisError) -> None:
        if not self._redis_down:
            self._redis_down = True
            log.warning("Redis unavailable, answering from Elasticsearch without cache: %s", error)

    def _note_success(self) -> None:
        if self._redis_down:
            self._redis_down = False
            log.warning("Redis is back, caching resumed")


class CachedRepository(Generic[Repository]):
    """A repository's interface answered from the response cache when it can be, for any repository.

    `operations` names the cache operation of each method of the interface (`{"get": "film"}`);
    the wrapper has those methods only. A call's key holds its arguments: an id as `id`, a query
    model by its fields (with its defaults, so equal requests share an entry). The answer is
    stored as JSON through a TypeAdapter of the method's return annotation in the wrapped
    repository.
    """

    def __init__(
        self,
        inner: Repository,
        cache: ResponseCache,
        index: str | tuple[str, ...],
        operations: Mapping[str, str],
    ) -> None:
        for method, operation in operations.items():
            setattr(self, method, _cached_method(inner, method, cache, index, operation))

    def as_repository(self) -> Repository:
        """The wrapper where the wrapped repository's type is expected: it answers the same calls."""
        return cast(Repository, self)


def cache_params(args: tuple[object, ...]) -> dict[str, object]:
    """The key parameters of a call: a model's fields, anything else (an id) as `id`."""
    params: dict[str, object] = {}
    for arg in args:
        if isinstance(arg, BaseModel):
            params.update(arg.model_dump(mode="json"))
        elif "id" in params:
            raise TypeError(f"a cached call takes one id at most, got {args!r}")
        else:
            params["id"] = arg
    return params


def _cached_method(
    inner: object, method: str, cache: ResponseCache, index: str | tuple[str, ...], operation: str
) -> Callable[..., Awaitable[object]]:
    load = getattr(inner, method)
    answer = typing.get_type_hints(getattr(type(inner), method)).get("return")
    if answer is None:
        raise TypeError(f"{type(inner).__name__}.{method} has no return annotation to cache its answers by")
    adapter: TypeAdapter[object] = TypeAdapter(answer)

    async def cached(*args: object) -> object:
        return await cache.fetch(index, operation, cache_params(args), adapter, lambda: load(*args))

    return cached
