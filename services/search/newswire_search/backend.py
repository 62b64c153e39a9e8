"""The search service's Meilisearch client: only the calls a reader's request makes, on aiohttp.

The index worker's `newswire_index.meili.Meili` (httpx) cost ~2.5 ms of CPU per multi-search
in this process; aiohttp over the same keep-alive connections ~0.9 ms (BBC corpus, sequential,
uvloop). Bodies are orjson bytes both ways, and responses uncompressed (see `Meili`).
"""

from typing import Any

import aiohttp
import orjson

from newswire_index.meili import MeiliError, decode_response

#: What a caller may see when Meilisearch cannot be reached at all (503, not 502).
BackendUnreachable = (aiohttp.ClientConnectionError, TimeoutError)


class SearchBackend:
    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 10.0) -> None:
        # Relative paths below join onto this, so a URL with a path prefix works too.
        self._url = url.rstrip("/") + "/"
        self._headers = {"Accept-Encoding": "identity", "Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a session belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                self._url, headers=self._headers, timeout=self._timeout, auto_decompress=False,
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
                connector=aiohttp.TCPConnector(limit=64, keepalive_timeout=15))
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = orjson.dumps(body) if body is not None else None
        for attempt in (1, 2):
            try:
                async with self._client().request(method, path, data=data) as response:
                    return response.status, await response.read()
            except aiohttp.ServerDisconnectedError:
                # A pooled connection Meilisearch had closed (say, it restarted). Every call
                # here only reads, so sending it again on a fresh connection is safe.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

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
