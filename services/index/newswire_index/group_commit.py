"""Group commit: the stories of all concurrent index handlers go to Meilisearch as one task.

Every Meilisearch batch pays a fixed cost that grows with the index (rebuilding the word FST
and prefix databases: ~0.15-0.3 s of CPU at 9,000 stories, `services/index/probe_batches.py`),
so what an article costs Meilisearch depends on how many share a batch.

* Work-conserving by default: when no task is in flight, whatever is waiting is sent at once,
  so a lone article is searchable after one batch (freshness).
* While a task is in flight, stories accumulate and go together when it ends.
* While the upstream stages have a backlog (a back-fill), CPU is what limits throughput and
  Meilisearch running back-to-back small batches takes it from clean and enrich: then the
  commit also waits, up to `max_hold_s`, until `target_docs` stories are waiting.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class GroupCommit:
    def __init__(self, commit: Callable[[list[dict[str, Any]]], Awaitable[None]], *,
                 upstream_busy: Callable[[], bool], target_docs: int = 500,
                 max_hold_s: float = 1.0, poll_s: float = 0.02) -> None:
        self._commit = commit
        self._upstream_busy = upstream_busy
        self._target_docs = target_docs
        self._max_hold_s = max_hold_s
        self._poll_s = poll_s
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._arrived = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        #: Sizes of the last commits, for logs and tests.
        self.last_sizes: list[int] = []

    async def add(self, stories: list[dict[str, Any]]) -> None:
        """Returns once a Meilisearch task holding these stories succeeded; raises its error."""
        loop = asyncio.get_running_loop()
        if self._loop_task is None or self._loop_task.done() or self._loop_task.get_loop() is not loop:
            self._arrived = asyncio.Event()
            self._loop_task = asyncio.create_task(self._run(), name="index-group-commit")
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((stories, future))
        self._arrived.set()
        await future

    def _waiting_docs(self) -> int:
        return sum(len(stories) for stories, _ in self._waiting)

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            held_since = time.monotonic()
            # Polled: "upstream busy" is a figure another task refreshes, not an event.
            while (self._upstream_busy() and self._waiting_docs() < self._target_docs  # noqa: ASYNC110
                   and time.monotonic() - held_since < self._max_hold_s):
                await asyncio.sleep(self._poll_s)
            group, self._waiting = self._waiting, []
            if not group:
                continue
            stories = [story for part, _ in group for story in part]
            try:
                await self._commit(stories)
            except Exception as exc:  # noqa: BLE001 - every handler in the group gets it
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in group:
                    if not future.done():
                        future.set_result(None)
            self.last_sizes = [*self.last_sizes[-99:], len(stories)]
            if self._waiting:
                self._arrived.set()

    def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
