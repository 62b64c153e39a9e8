"""The search service's Meilisearch client: only the calls a reader's request makes.

It is the index worker's client (`newswire_index.meili.Meili`: aiohttp, orjson bodies both ways,
uncompressed responses, one retry on a connection Meilisearch had closed), with more
connections for concurrent readers and multi-search answering a list.
"""

from typing import Any

import aiohttp

from newswire_index.meili import Meili

#: What a caller may see when Meilisearch cannot be reached at all (503, not 502).
BackendUnreachable = (aiohttp.ClientConnectionError, TimeoutError)


class SearchBackend:
    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 10.0) -> None:
        self._meili = Meili(url, api_key, timeout=timeout, max_connections=64)

    async def aclose(self) -> None:
        await self._meili.aclose()

    async def multi_search(self, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per query, in order (no federation)."""
        return (await self._meili.multi_search(queries))["results"]

    async def get_document(self, uid: str, document_id: str) -> dict[str, Any] | None:
        return await self._meili.get_document(uid, document_id)

    async def healthy(self) -> bool:
        return await self._meili.healthy()
