"""The cache's Redis connection: command encoding and replies matched to callers in order."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.repositories.redis_link import RedisLink, _Connection, pack


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return False


def test_pack_encodes_bulk_strings():
    assert pack(("SET", b"k\r\n", 5)) == b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$1\r\n5\r\n"
    assert pack(("GET", "ключ")) == "*2\r\n$3\r\nGET\r\n$8\r\nключ\r\n".encode()


def test_commands_of_one_turn_go_out_together_and_replies_resolve_in_order():
    async def scenario():
        connection = _Connection(timeout=1)
        transport = _Transport()
        connection.connection_made(transport)
        first = connection.send(pack(("GET", "a")), "GET")
        second = connection.send(pack(("EVALSHA", "x")), "EVALSHA")
        third = connection.send(pack(("GET", "b")), "GET")
        await asyncio.sleep(0)  # the flush scheduled for this turn
        assert len(transport.written) == 1
        # Replies may arrive split anywhere.
        connection.data_received(b"$1\r\n1\r\n-NOSCRIPT missing\r")
        connection.data_received(b"\n*2\r\n$1\r\n7\r\n$-1\r\n")
        return first.result(), second.exception(), third.result()

    first, second, third = asyncio.run(scenario())
    assert first == b"1"
    assert isinstance(second, ResponseError)
    assert str(second).startswith("NOSCRIPT")
    assert third == [b"7", None]


def test_a_lost_connection_fails_every_pending_call():
    async def scenario():
        connection = _Connection(timeout=1)
        connection.connection_made(_Transport())
        pending = [connection.send(pack(("PING",)), "PING") for _ in range(3)]
        connection.connection_lost(OSError("reset"))
        return [future.exception() for future in pending], connection.open

    errors, still_open = asyncio.run(scenario())
    assert all(isinstance(error, RedisConnectionError) for error in errors)
    assert not still_open


def test_an_unanswered_command_times_out_alone_and_its_late_reply_is_dropped():
    async def scenario():
        connection = _Connection(timeout=0.5)
        connection.connection_made(_Transport())
        slow = connection.send(pack(("GET", "a")), "GET")
        await asyncio.sleep(0.25)
        later = connection.send(pack(("GET", "b")), "GET")  # its own deadline, 250 ms after the first
        await asyncio.wait([slow], timeout=5)
        later_waits = not later.done()
        connection.data_received(b"$4\r\nlate\r\n")  # the first command's reply, too late
        still_waits = not later.done()
        connection.data_received(b"$1\r\nb\r\n")
        return slow.exception(), later_waits, still_waits, later.result()

    error, later_waits, still_waits, later = asyncio.run(scenario())
    assert isinstance(error, RedisTimeoutError)
    assert "'GET'" in str(error)
    assert later_waits and still_waits
    assert later == b"b"


def test_nothing_listening_is_a_redis_connection_error():
    async def scenario():
        link = RedisLink("redis://127.0.0.1:1/3", timeout=1)
        with pytest.raises(RedisConnectionError):
            await link.call("PING")

    asyncio.run(scenario())
