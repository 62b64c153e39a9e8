"""A thin async Meilisearch REST client on aiohttp.

Plain JSON in and out (orjson): settings, federated multi-search and documents are passed
through as dicts, with no model layer in the hot path. Responses are requested uncompressed
(`Accept-Encoding: identity`): with gzip, keep-alive clients saw a ~44 ms stall per response.
aiohttp rather than httpx: a request cost ~0.9 ms of CPU against ~2.5 ms (see the search
service's backend.py), and the index stage makes one per batch plus a task poll every 20 ms.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson


class MeiliError(RuntimeError):
    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class MeiliTaskFailed(MeiliError):
    pass


def decode_response(status: int, content: bytes) -> Any:
    """A Meilisearch answer's JSON, or MeiliError with its message, code and HTTP status."""
    if status >= 400:
        try:
            error = orjson.loads(content)
        except orjson.JSONDecodeError:
            error = {"message": content.decode(errors="replace")}
        raise MeiliError(error.get("message") or content.decode(errors="replace"),
                         code=error.get("code"), status=status)
    return orjson.loads(content) if content else None


class Meili:
    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 max_connections: int = 32) -> None:
        # Relative paths join onto this, so a URL with a path prefix works too.
        self._url = url.rstrip("/") + "/"
        self._headers = {"Accept-Encoding": "identity", "Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._watcher = TaskWatcher(self)

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a session belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                self._url, headers=self._headers, timeout=self._timeout, auto_decompress=False,
                connector=aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=15))
        return self._session

    async def aclose(self) -> None:
        self._watcher.close()
        if self._session is not None:
            await self._session.close()

    async def request(self, method: str, path: str, json: Any = None,
                      params: dict[str, Any] | None = None) -> Any:
        # orjson: a batch of 500 stories is ~2.5 MB of JSON each way.
        data = orjson.dumps(json) if json is not None else None
        for attempt in (1, 2):
            try:
                async with self._client().request(method, path.lstrip("/"), data=data,
                                                  params=params) as response:
                    return decode_response(response.status, await response.read())
            except aiohttp.ServerDisconnectedError:
                # A pooled connection Meilisearch had closed (say, it restarted). Every call
                # here is safe to repeat: reads, upserts by id, deletes, idempotent settings.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def healthy(self) -> bool:
        try:
            return (await self.request("GET", "/health")).get("status") == "available"
        except (MeiliError, aiohttp.ClientError, TimeoutError):
            return False

    async def wait_for_task(self, task_uid: int, *, timeout_s: float = 60.0) -> dict[str, Any]:
        """Wait until a task ends; raise MeiliTaskFailed when it did not succeed.

        Every waiter of this client shares one poller (`TaskWatcher`), so many batches in flight
        cost one small request per poll interval, and a finished task is seen within ~20 ms."""
        task = await self._watcher.wait(task_uid, timeout_s)
        if task["status"] != "succeeded":
            error = task.get("error") or {}
            raise MeiliTaskFailed(error.get("message", task["status"]), code=error.get("code"))
        return task

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


def poll_interval(waited_s: float, floor_s: float, ceiling_s: float) -> float:
    """A tenth of the time waited so far, between `floor_s` and `ceiling_s`."""
    return min(ceiling_s, max(floor_s, waited_s / 10))


@dataclass
class _OpenTask:
    """A task someone waits on: since when (loop time), and the waiters' futures."""

    since: float
    futures: list[asyncio.Future[dict[str, Any]]] = field(default_factory=list)


class TaskWatcher:
    """One polling loop for all the tasks a client waits on.

    Meilisearch has no push notification for finished tasks. Waiting per task with a growing
    sleep put up to 250 ms between a task's end and its waiter noticing (most of the pipeline's
    freshness budget); polling per task at a short interval multiplies requests by the batches
    in flight. This loop asks `GET /tasks?uids=…` for every open task at once and runs only
    while someone waits.

    The interval grows with the wait: a tenth of how long the oldest open task has been
    waited on, from `interval_s` (20 ms) to `max_interval_s`. A live article's batch (~0.2-0.4
    s) is still seen within ~20-40 ms of its end; a back-fill's batch of ~1,000 stories
    (~2 s) costs ~30 polls rather than ~100, each ~0.4 ms of this process's CPU and some of
    Meilisearch's.
    """

    FINISHED = ("succeeded", "failed", "canceled")

    def __init__(self, meili: Meili, interval_s: float = 0.02, max_interval_s: float = 0.2) -> None:
        self._meili = meili
        self._interval_s = interval_s
        self._max_interval_s = max_interval_s
        self._waiters: dict[int, _OpenTask] = {}
        self._loop_task: asyncio.Task[None] | None = None

    async def wait(self, task_uid: int, timeout_s: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._waiters.setdefault(task_uid, _OpenTask(loop.time())).futures.append(future)
        if (self._loop_task is None or self._loop_task.done()
                or self._loop_task.get_loop() is not loop):
            self._loop_task = asyncio.create_task(self._poll(), name="meili-task-watcher")
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except TimeoutError:
            raise TimeoutError(f"Meilisearch task {task_uid} not finished after {timeout_s} s") \
                from None
        finally:
            open_task = self._waiters.get(task_uid)
            if open_task is not None and future in open_task.futures:
                open_task.futures.remove(future)
                if not open_task.futures:
                    del self._waiters[task_uid]

    async def _poll(self) -> None:
        while self._waiters:
            uids = sorted(self._waiters)
            try:
                page = await self._meili.request("GET", "/tasks", params={
                    "uids": ",".join(map(str, uids)), "limit": len(uids)})
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who decides
                for open_task in self._waiters.values():
                    for future in open_task.futures:
                        if not future.done():
                            future.set_exception(exc)
                self._waiters.clear()
                return
            for task in page.get("results", []):
                if task["status"] in self.FINISHED:
                    finished = self._waiters.pop(task["uid"], None)
                    for future in finished.futures if finished else []:
                        if not future.done():
                            future.set_result(task)
            await asyncio.sleep(self._next_interval())

    def _next_interval(self) -> float:
        if not self._waiters:
            return self._interval_s
        since = min(open_task.since for open_task in self._waiters.values())
        waited = asyncio.get_running_loop().time() - since
        return poll_interval(waited, self._interval_s, self._max_interval_s)

    def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
