"""A pipelined Redis connection for the response cache, one per worker.

Every cache hit costs one Redis round trip, so that round trip decides the API's throughput.
redis-py's asyncio client takes a pooled connection per command; here all concurrent requests
share one connection: commands queued in the same event-loop turn go out in a single write and
replies (parsed by hiredis) resolve the waiting futures in order. Failures raise redis-py's
exception types, so callers handle them as they would redis-py's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import cast
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.metrics import REDIS_SECONDS

Arg = str | bytes | int


def pack(args: tuple[Arg, ...]) -> bytes:
    """A command in the Redis protocol (RESP): an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else b"%d" % arg if isinstance(arg, int) else arg
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


class _Connection(asyncio.Protocol):
    """One connection's pipeline: commands written in order, replies matched to them in order.

    A command not answered within `timeout` fails with a timeout; one timer serves every pending
    command (armed for the oldest's deadline), not one timer per command.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._reader = hiredis.Reader(replyError=ResponseError)
        # (future, deadline, command name) of each command sent and not yet answered, oldest first.
        self._pending: deque[tuple[asyncio.Future[object], float, Arg]] = deque()
        self._out: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def send(self, command: bytes, name: Arg) -> asyncio.Future[object]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[object] = loop.create_future()
        if not self._out:
            loop.call_soon(self._flush)
        self._out.append(command)
        deadline = loop.time() + self._timeout
        self._pending.append((future, deadline, name))
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._expire)
        return future

    def _flush(self) -> None:
        if self._transport is not None and self._out:
            self._transport.write(b"".join(self._out))
        self._out.clear()

    def _expire(self) -> None:
        """Fail the commands past their deadline (their replies, if they come, are dropped) and
        wait for the next deadline."""
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        for future, deadline, name in self._pending:
            if deadline > now:
                self._timer = loop.call_at(deadline, self._expire)
                return
            if not future.done():
                future.set_exception(RedisTimeoutError(f"Redis did not answer {name!r} in {self._timeout}s"))

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            future = self._pending.popleft()[0]
            if future.done():  # it timed out, or its caller went away; the reply is dropped
                continue
            if isinstance(reply, ResponseError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending:
            future = self._pending.popleft()[0]
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
        start = time.perf_counter()
        try:
            return await connection.send(pack(args), args[0])
        finally:
            REDIS_SECONDS.labels(args[0]).observe(time.perf_counter() - start)

    async def _connect(self) -> _Connection:
        # Concurrent callers share one connection attempt.
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open())
            self._connecting.add_done_callback(lambda _: setattr(self, "_connecting", None))
        return await asyncio.shield(self._connecting)

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            opening = loop.create_connection(lambda: _Connection(self._timeout), self._host, self._port)
            _, connection = await asyncio.wait_for(opening, self._timeout)
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
                await connection.send(pack(command), command[0])
        except Exception:
            connection.close()
            raise
        self._connection = connection
        return connection

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
