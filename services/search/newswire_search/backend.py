"""The search service's Meilisearch client: only the calls a reader's request makes.

A minimal HTTP/1.1 keep-alive client on asyncio protocols and httptools' response parser
(which uvicorn already uses). Per multi-search it cost ~0.15 ms of CPU here where aiohttp cost
~0.5 ms and httpx ~2.5 ms (BBC corpus, bench query mix, uvloop): a third of the service's own
CPU per search. It only needs what Meilisearch answers: status, Content-Length or chunked body.
Bodies are orjson bytes both ways, and responses uncompressed (see `newswire_index.meili`).
"""

import asyncio
import ssl
from typing import Any
from urllib.parse import urlsplit

import httptools
import orjson

from newswire_index.meili import MeiliError, decode_response


class BackendDisconnected(ConnectionError):
    """The connection closed before a whole response arrived."""


#: What a caller may see when Meilisearch cannot be reached at all (503, not 502).
BackendUnreachable = (OSError, TimeoutError, httptools.HttpParserError)


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time (the pool sees to that)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.used = False  # has answered before: a failure may just be a stale connection
        self.received = False  # any byte of the current response
        self.body: list[bytes] = []
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or BackendDisconnected("Meilisearch closed the connection"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))

    def _fail(self, exc: BaseException) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self.body, self.received = [], False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class SearchBackend:
    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 10.0,
                 max_idle: int = 64) -> None:
        parts = urlsplit(url)
        self._secure = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._secure else 80)
        # Relative paths below join onto this, so a URL with a path prefix works too.
        self._prefix = parts.path.rstrip("/") + "/"
        host_header = parts.netloc.rpartition("@")[2]
        headers = f"Host: {host_header}\r\nAccept-Encoding: identity\r\n"
        if api_key:
            headers += f"Authorization: Bearer {api_key}\r\n"
        self._headers = headers.encode("latin-1")
        self._timeout = timeout
        self._max_idle = max_idle
        self._idle: list[_Connection] = []
        self._ssl = ssl.create_default_context() if self._secure else None

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(
            _Connection, self._host, self._port, ssl=self._ssl,
            server_hostname=self._host if self._ssl else None)
        return connection

    def _message(self, method: str, path: str, body: bytes | None) -> bytes:
        head = f"{method} {self._prefix}{path} HTTP/1.1\r\n".encode("latin-1") + self._headers
        if body is None:
            return head + b"\r\n"
        return (head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % len(body) + body)

    async def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        message = self._message(method, path, orjson.dumps(body) if body is not None else None)
        async with asyncio.timeout(self._timeout):
            while True:
                connection = None
                while self._idle and connection is None:
                    candidate = self._idle.pop()
                    connection = None if candidate.closed else candidate
                connection = connection or await self._connect()
                try:
                    status, content = await connection.send(message)
                except (BackendDisconnected, ConnectionResetError):
                    connection.close()
                    # A pooled connection Meilisearch had closed (idle timeout, restart)
                    # before answering: every call here only reads, so resend on a fresh one.
                    if connection.used and not connection.received:
                        continue
                    raise
                except BaseException:  # timeout, cancellation: the answer may still come
                    connection.close()
                    raise
                connection.used = True
                if not connection.closed and len(self._idle) < self._max_idle:
                    self._idle.append(connection)
                elif not connection.closed:
                    connection.close()
                return status, content

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        return decode_response(*await self._request(method, path, body))

    async def multi_search(self, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per query, in order (no federation)."""
        return (await self._json("POST", "multi-search", {"queries": queries}))["results"]

    async def get_document(self, uid: str, document_id: str) -> dict[str, Any] | None:
        try:
            return await self._json("GET", f"indexes/{uid}/documents/{document_id}")
        except MeiliError as exc:
            if exc.status == 404:
                return None
            raise

    async def healthy(self) -> bool:
        try:
            return (await self._json("GET", "health")).get("status") == "available"
        except (MeiliError, *BackendUnreachable):
            return False
