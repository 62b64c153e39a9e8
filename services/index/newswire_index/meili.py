"""A thin async Meilisearch REST client on httpx.

Plain JSON in and out: settings, federated multi-search and documents are passed through as
dicts, with no model layer in the search hot path. Responses are requested uncompressed
(`Accept-Encoding: identity`): with gzip, keep-alive clients saw a ~44 ms stall per response.
"""

import asyncio
import time
from typing import Any

import httpx


class MeiliError(RuntimeError):
    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class MeiliTaskFailed(MeiliError):
    pass


class Meili:
    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 30.0) -> None:
        headers = {"Accept-Encoding": "identity", "Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=timeout,
                                       limits=httpx.Limits(max_keepalive_connections=32))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, json: Any = None,
                      params: dict[str, Any] | None = None) -> Any:
        response = await self._http.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            try:
                error = response.json()
            except ValueError:
                error = {"message": response.text}
            raise MeiliError(error.get("message", response.text), code=error.get("code"),
                             status=response.status_code)
        return response.json() if response.content else None

    async def healthy(self) -> bool:
        try:
            return (await self.request("GET", "/health")).get("status") == "available"
        except (httpx.HTTPError, MeiliError):
            return False

    async def wait_for_task(self, task_uid: int, *, timeout_s: float = 60.0,
                            poll_s: float = 0.02) -> dict[str, Any]:
        """Wait until a task ends; raise MeiliTaskFailed when it did not succeed."""
        deadline = time.monotonic() + timeout_s
        while True:
            task = await self.request("GET", f"/tasks/{task_uid}")
            if task["status"] == "succeeded":
                return task
            if task["status"] in ("failed", "canceled"):
                error = task.get("error") or {}
                raise MeiliTaskFailed(error.get("message", task["status"]), code=error.get("code"))
            if time.monotonic() > deadline:
                raise TimeoutError(f"Meilisearch task {task_uid} still {task['status']}")
            await asyncio.sleep(poll_s)
            poll_s = min(poll_s * 1.5, 0.25)

    async def ensure_index(self, uid: str, settings: dict[str, Any], *,
                           timeout_s: float = 60.0) -> None:
        """Create the index if needed and apply its settings (idempotent)."""
        try:
            task = await self.request("POST", "/indexes", {"uid": uid, "primaryKey": "id"})
            await self.wait_for_task(task["taskUid"], timeout_s=timeout_s)
        except MeiliTaskFailed as exc:
            if exc.code != "index_already_exists":
                raise
        task = await self.request("PATCH", f"/indexes/{uid}/settings", settings)
        await self.wait_for_task(task["taskUid"], timeout_s=timeout_s)

    async def add_documents(self, uid: str, documents: list[dict[str, Any]]) -> int:
        task = await self.request("POST", f"/indexes/{uid}/documents", documents,
                                  params={"primaryKey": "id"})
        return task["taskUid"]

    async def update_documents(self, uid: str, documents: list[dict[str, Any]]) -> int:
        """Partial update: fields not sent keep their stored value."""
        task = await self.request("PUT", f"/indexes/{uid}/documents", documents,
                                  params={"primaryKey": "id"})
        return task["taskUid"]

    async def delete_document(self, uid: str, document_id: str) -> int:
        task = await self.request("DELETE", f"/indexes/{uid}/documents/{document_id}")
        return task["taskUid"]

    async def get_document(self, uid: str, document_id: str) -> dict[str, Any] | None:
        try:
            return await self.request("GET", f"/indexes/{uid}/documents/{document_id}")
        except MeiliError as exc:
            if exc.status == 404:
                return None
            raise

    async def search(self, uid: str, query: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", f"/indexes/{uid}/search", query)

    async def multi_search(self, queries: list[dict[str, Any]],
                           federation: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"queries": queries}
        if federation is not None:
            body["federation"] = federation
        return await self.request("POST", "/multi-search", body)
