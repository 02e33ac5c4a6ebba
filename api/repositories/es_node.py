"""A lean HTTP/1.1 node for the Elasticsearch client: asyncio connections parsed by httptools.

With the cache off or missed, a search's time in the API is mostly the Elasticsearch client, and
most of that was aiohttp's request machinery (a session, a connector, a response object, stream
readers) around what is, on a private network, one keep-alive request and one reply. This node
does only that: it writes the request in one piece, lets httptools (the C parser Sanic's server
uses) parse the reply, keeps finished connections for the next request, and hands the client the
status, headers and body. Everything above it (retries, node pool, serializers, errors, the
product check) stays elastic_transport's and elasticsearch-py's.

Plain `http://` only, without request compression: an `https://` address or `http_compress` gets
elastic_transport's aiohttp node and all of its TLS options (see `node_class_for`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

import httptools
from elastic_transport import AiohttpHttpNode, ApiResponseMeta, ConnectionTimeout, HttpHeaders, NodeConfig
from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport._node._base import NodeApiResponse
from elastic_transport._node._base_async import BaseAsyncNode
from elastic_transport.client_utils import DEFAULT, DefaultType

# elastic_transport's own logger for request traces; only consulted when it has handlers.
_trace = logging.getLogger("elastic_transport.node")


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its reply parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._reply: asyncio.Future[tuple[int, list[tuple[str, str]], bytes, bool]] | None = None
        self._parser: httptools.HttpResponseParser | None = None
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._head = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are not subclasses

    def exchange(
        self, data: bytes, head: bool
    ) -> asyncio.Future[tuple[int, list[tuple[str, str]], bytes, bool]]:
        """Send a request; the future is its reply: status, headers, body, and whether the
        connection may carry another request."""
        assert self.transport is not None and self._reply is None
        self._reply = asyncio.get_running_loop().create_future()
        # A parser per exchange: a reply to HEAD announces a body it does not send.
        self._parser = httptools.HttpResponseParser(self)
        self._headers, self._body, self._head = [], [], head
        self.transport.write(data)
        return self._reply

    def data_received(self, data: bytes) -> None:
        if self._parser is None:
            # Nothing was asked: a server talking out of turn cannot be trusted with the next request.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(EsConnectionError("malformed HTTP reply from Elasticsearch", errors=(error,)))
            self.close()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self._head:
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        reply, parser = self._reply, self._parser
        if reply is None or parser is None:
            return
        self._reply = self._parser = None
        if not reply.done():
            keep = parser.should_keep_alive() and not self.closed
            reply.set_result((parser.get_status_code(), self._headers, b"".join(self._body), keep))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        lost = ConnectionResetError(
            f"Elasticsearch closed the connection before replying{f': {exc}' if exc else ''}"
        )
        self._fail(EsConnectionError(str(lost), errors=(lost,)))

    def _fail(self, error: Exception) -> None:
        reply, self._reply, self._parser = self._reply, None, None
        if reply is not None and not reply.done():
            reply.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class LeanHttpNode(BaseAsyncNode):
    """elastic_transport's async node interface over `_Connection`s: at most
    `connections_per_node` requests at a time (more wait for a connection, as with aiohttp's
    connector), idle connections reused newest first."""

    _CLIENT_META_HTTP_CLIENT = ("ht", httptools.__version__)

    def __init__(self, config: NodeConfig) -> None:
        if config.scheme != "http" or config.http_compress:
            raise ValueError("LeanHttpNode speaks plain http:// without compression; use node_class_for()")
        super().__init__(config)
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(config.connections_per_node)
        # Lower-cased, so that a request's own headers replace these rather than repeat them.
        self._fixed = {name.lower(): value for name, value in self.headers.items()}
        self._fixed["host"] = f"{self.host}:{self.port}"

    async def perform_request(  # type: ignore[override]  # the base annotates what the client passes
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        timeout = self.config.request_timeout if request_timeout is DEFAULT else request_timeout
        fields = self._fixed if not headers else {**self._fixed, **{k.lower(): v for k, v in headers.items()}}
        data = _request(method, self.path_prefix + target, fields, body)
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            async with asyncio.timeout(timeout):  # None: no limit
                async with self._slots:
                    status, reply_headers, raw, _ = await self._exchange(data, method == "HEAD")
        # elastic_transport's errors show their first cause (`errors`), so the cause says what happened.
        except TimeoutError:
            late = TimeoutError(f"no reply from {self.base_url} in {timeout}s")
            failure: Exception = ConnectionTimeout(str(late), errors=(late,))
        except OSError as error:
            failure = EsConnectionError(f"cannot reach {self.base_url}", errors=(error,))
        except EsConnectionError as error:
            failure = error
        else:
            meta = ApiResponseMeta(
                node=self.config,
                duration=loop.time() - start,
                http_version="1.1",
                status=status,
                headers=HttpHeaders(reply_headers),
            )
            if _trace.hasHandlers():
                self._log_request(method, target, HttpHeaders(fields), body, meta=meta, response=raw)
            return NodeApiResponse(meta, raw)
        if _trace.hasHandlers():
            self._log_request(method, target, HttpHeaders(fields), body, exception=failure)
        raise failure from None

    async def _exchange(self, data: bytes, head: bool) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        connection = self._take_idle()
        if connection is None:
            _, connection = await asyncio.get_running_loop().create_connection(
                _Connection, self.host, self.port
            )
        finished = False
        try:
            reply = await connection.exchange(data, head)
            finished = True
        finally:
            # A connection left mid-reply (timeout, cancellation, error) cannot carry another request.
            if not finished:
                connection.close()
        if reply[3]:
            self._idle.append(connection)
        else:
            connection.close()
        return reply

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        return None

    async def close(self) -> None:  # type: ignore[override]
        while self._idle:
            self._idle.pop().close()


def _request(method: str, target: str, fields: dict[str, str], body: bytes | None) -> bytes:
    """The request in one piece; the body's length is always ours to state."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if name != "content-length")
    length = len(body) if body else 0
    head = f"{method} {target} HTTP/1.1\r\n{lines}content-length: {length}\r\n\r\n".encode("latin-1")
    return head + body if body else head


def node_class_for(url: str) -> type[BaseAsyncNode]:
    """The lean node for a plain-HTTP address, elastic_transport's aiohttp node for https."""
    return LeanHttpNode if url.startswith("http://") else AiohttpHttpNode
