"""The lean Elasticsearch node against a scripted HTTP server on loopback: the replies real
Elasticsearch does not give on demand (chunked, `Connection: close`, silence, a cut reply).
The node against Elasticsearch itself is every functional test of the API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from elastic_transport import AiohttpHttpNode, ConnectionTimeout, HttpHeaders, NodeConfig
from elastic_transport import ConnectionError as EsConnectionError

from api.repositories.es_node import LeanHttpNode, node_class_for

Reply = Callable[[str, bytes], Awaitable[bytes | None]]


def ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


class ScriptedServer:
    """Answers each request with `reply(request head, body)`; None sends nothing. Counts the
    connections it accepted and the most it held open at once."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.requests: list[str] = []
        self.closed_by_client = asyncio.Event()

    async def __aenter__(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def __aexit__(self, *_: object) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                except asyncio.IncompleteReadError:
                    self.closed_by_client.set()
                    return
                length = next(
                    int(line.split(":", 1)[1])
                    for line in head.split("\r\n")
                    if line.lower().startswith("content-length:")
                )
                body = await reader.readexactly(length)
                self.requests.append(head)
                answer = await self._reply(head, body)
                if answer is None:
                    await reader.read()  # silence until the client gives up
                    self.closed_by_client.set()
                    return
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    return
        finally:
            self.open_now -= 1
            writer.close()


def node(port: int, **config: object) -> LeanHttpNode:
    return LeanHttpNode(NodeConfig("http", "127.0.0.1", port, **config))  # type: ignore[arg-type]


def run(scenario: Callable[[], Awaitable[object]]) -> object:
    return asyncio.run(scenario())


def test_replies_come_back_whole_over_one_kept_connection():
    async def echo(head: str, body: bytes) -> bytes:
        return ok(b'{"echo":' + body + b"}", "content-type: application/json\r\n")

    async def scenario():
        server = ScriptedServer(echo)
        async with server as port:
            es = node(port)
            first = await es.perform_request("POST", "/movies/_search", b'{"a":1}')
            second = await es.perform_request("POST", "/movies/_search", b'{"b":2}')
            await es.close()
        return first, second, server.connections

    first, second, connections = run(scenario)
    assert (first.body, second.body) == (b'{"echo":{"a":1}}', b'{"echo":{"b":2}}')
    assert first.meta.status == 200
    assert first.meta.headers["Content-Type"] == "application/json"
    assert connections == 1


def test_a_chunked_reply_is_joined():
    async def chunked(head: str, body: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"

    async def scenario():
        async with ScriptedServer(chunked) as port:
            es = node(port)
            reply = await es.perform_request("GET", "/")
            await es.close()
            return reply.body

    assert run(scenario) == b"hello world"


def test_connection_close_makes_the_next_request_open_a_new_connection():
    async def closing(head: str, body: bytes) -> bytes:
        return ok(b"{}", "connection: close\r\n")

    async def scenario():
        server = ScriptedServer(closing)
        async with server as port:
            es = node(port)
            for _ in range(3):
                assert (await es.perform_request("GET", "/")).body == b"{}"
            await es.close()
        return server.connections

    assert run(scenario) == 3


def test_a_reply_to_head_has_no_body_and_the_connection_goes_on():
    async def head_then_get(head: str, body: bytes) -> bytes:
        if head.startswith("HEAD "):
            # The length of the body a GET would have, as Elasticsearch announces it.
            return b"HTTP/1.1 200 OK\r\ncontent-length: 540\r\n\r\n"
        return ok(b"[1]")

    async def scenario():
        server = ScriptedServer(head_then_get)
        async with server as port:
            es = node(port)
            head = await es.perform_request("HEAD", "/")
            get = await es.perform_request("GET", "/")
            await es.close()
        return head.meta.status, head.body, get.body, server.connections

    assert run(scenario) == (200, b"", b"[1]", 1)


def test_the_request_states_host_and_length_once_and_its_own_headers_win():
    async def answer(head: str, body: bytes) -> bytes:
        return ok(b"{}")

    async def scenario():
        server = ScriptedServer(answer)
        async with server as port:
            es = node(port, headers=HttpHeaders({"Accept": "text/plain", "User-Agent": "unit"}))
            await es.perform_request(
                "POST",
                "/_search",
                b"{}",
                headers=HttpHeaders({"accept": "application/json", "Content-Length": "999"}),
            )
            await es.close()
        return server.requests[0], port

    head, port = run(scenario)
    lines = head.lower().split("\r\n")
    assert lines[0] == "post /_search http/1.1"
    assert lines.count("accept: application/json") == 1
    assert not [line for line in lines if line.startswith("accept: text/plain")]
    assert [line for line in lines if line.startswith("content-length")] == ["content-length: 2"]
    assert f"host: 127.0.0.1:{port}" in lines
    assert "user-agent: unit" in lines


def test_silence_is_a_connection_timeout_and_the_connection_is_dropped():
    async def silent(head: str, body: bytes) -> None:
        return None

    async def scenario():
        server = ScriptedServer(silent)
        async with server as port:
            es = node(port, request_timeout=0.3)
            began = time.monotonic()
            with pytest.raises(ConnectionTimeout) as caught:
                await es.perform_request("GET", "/")
            waited = time.monotonic() - began
            # The half-answered connection is closed, not kept for the next request.
            await asyncio.wait_for(server.closed_by_client.wait(), 5)
            await es.close()
        return waited, str(caught.value)

    waited, message = run(scenario)
    assert 0.25 <= waited < 3
    assert "no reply from http://127.0.0.1" in message and "in 0.3s" in message


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        (
            b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{"partial',
            "closed the connection",
        ),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "HttpParserError"),
    ],
    ids=["cut-short", "not-http"],
)
def test_a_broken_reply_is_a_connection_error_naming_the_cause(reply: bytes, named: str):
    async def broken(head: str, body: bytes) -> bytes:
        return reply

    async def scenario():
        async with ScriptedServer(broken) as port:
            es = node(port)
            with pytest.raises(EsConnectionError) as caught:
                await es.perform_request("GET", "/")
            await es.close()
            return str(caught.value)

    assert named in run(scenario)


def test_nothing_listening_is_a_connection_error():
    async def scenario():
        es = node(1)
        with pytest.raises(EsConnectionError) as caught:
            await es.perform_request("GET", "/")
        return str(caught.value)

    assert "ConnectionRefusedError" in run(scenario)


def test_concurrent_requests_share_at_most_connections_per_node():
    async def slow(head: str, body: bytes) -> bytes:
        await asyncio.sleep(0.05)
        return ok(body)

    async def scenario():
        server = ScriptedServer(slow)
        async with server as port:
            es = node(port, connections_per_node=2)
            bodies = await asyncio.gather(
                *(es.perform_request("POST", "/_search", str(n).encode()) for n in range(6))
            )
            await es.close()
        return [reply.body for reply in bodies], server.most_open

    bodies, most_open = run(scenario)
    assert bodies == [str(n).encode() for n in range(6)]
    assert most_open == 2


def test_https_and_compression_go_to_the_aiohttp_node():
    assert node_class_for("http://es:9200") is LeanHttpNode
    assert node_class_for("https://es:9200") is AiohttpHttpNode
    with pytest.raises(ValueError, match="plain http"):
        LeanHttpNode(NodeConfig("https", "es", 9200))
    with pytest.raises(ValueError, match="plain http"):
        LeanHttpNode(NodeConfig("http", "es", 9200, http_compress=True))
