"""A pipelined Redis connection for the response cache, one per worker.

Every cache hit costs one Redis round trip, so that round trip decides the API's throughput.
redis-py's asyncio client takes a pooled connection per command; here all concurrent requests
share one connection: commands queued in the same event-loop turn go out in a single write and
replies (parsed by hiredis) resolve the waiting futures in order. Failures raise redis-py's
exception types, so callers handle them as they would redis-py's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import cast
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | bytes | int


def pack(args: tuple[Arg, ...]) -> bytes:
    """A command in the Redis protocol (RESP): an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else b"%d" % arg if isinstance(arg, int) else arg
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self._reader = hiredis.Reader(replyError=ResponseError)
        self._pending: deque[asyncio.Future[object]] = deque()
        self._out: list[bytes] = []
        self._transport: asyncio.Transport | None = None

    @property
    def open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def send(self, command: bytes) -> asyncio.Future[object]:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(command)
        self._pending.append(future)
        return future

    def _flush(self) -> None:
        if self._transport is not None and self._out:
            self._transport.write(b"".join(self._out))
        self._out.clear()

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            future = self._pending.popleft()
            if future.done():  # its caller timed out; the reply is dropped, the order kept
                continue
            if isinstance(reply, ResponseError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(RedisConnectionError(f"connection to Redis lost: {exc}"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class RedisLink:
    """`await link.call("GET", key)`: connects lazily, reconnects after a failure."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self._db = int(parts.path.lstrip("/") or 0)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Future[_Connection] | None = None

    async def call(self, *args: Arg) -> object:
        connection = self._connection
        if connection is None or not connection.open:
            connection = await self._connect()
        return await self._wait(connection.send(pack(args)), args[0])

    async def _wait(self, future: asyncio.Future[object], name: Arg) -> object:
        def expire() -> None:
            if not future.done():
                future.set_exception(RedisTimeoutError(f"Redis did not answer {name!r} in {self._timeout}s"))

        timer = asyncio.get_running_loop().call_later(self._timeout, expire)
        try:
            return await future
        finally:
            timer.cancel()

    async def _connect(self) -> _Connection:
        # Concurrent callers share one connection attempt.
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open())
            self._connecting.add_done_callback(lambda _: setattr(self, "_connecting", None))
        return await asyncio.shield(self._connecting)

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(_Connection, self._host, self._port), self._timeout
            )
        except (TimeoutError, OSError) as error:
            raise RedisConnectionError(
                f"cannot connect to Redis at {self._host}:{self._port}: {error}"
            ) from None
        setup: list[tuple[Arg, ...]] = []
        if self._password is not None:
            user: tuple[Arg, ...] = (self._username,) if self._username else ()
            setup.append(("AUTH", *user, self._password))
        if self._db:
            setup.append(("SELECT", self._db))
        try:
            for command in setup:
                await self._wait(connection.send(pack(command)), command[0])
        except Exception:
            connection.close()
            raise
        self._connection = connection
        return connection

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
