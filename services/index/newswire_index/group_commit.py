"""Group commit: the stories of all concurrent index handlers go to Meilisearch as few tasks.

Every Meilisearch batch pays a fixed cost that grows with the index (rebuilding the word FST
and prefix databases: ~0.15-0.3 s of CPU at 9,000 stories, `services/index/probe_batches.py`),
so what an article costs Meilisearch depends on how many share a batch.

* Work-conserving by default: whatever is waiting is sent at once, even while earlier tasks
  are still being processed. Meilisearch merges the document additions queued behind a running
  batch into its next batch, which starts the moment the running one ends. Waiting for a task
  to succeed before sending the next left Meilisearch idle for ~20 ms per batch (the task poll
  plus the request), and every article waiting for that batch paid it.
* Tasks are sent one at a time, in arrival order, so Meilisearch applies two versions of a
  story in the order they came; only the waits for their success overlap.
* While the upstream stages have a backlog (a back-fill), CPU is what limits throughput and
  Meilisearch running back-to-back small batches takes it from clean and enrich: then a commit
  waits for the tasks in flight and, up to `max_hold_s`, until its target is waiting:
  `target_docs`, or half the upstream backlog when that is less. The last commits of a
  back-fill are then small, so the batch Meilisearch runs alone at the end, after the last
  story left enrich, is short: end to end 352-371 articles/s against 331-346 with a fixed
  target (interleaved back-fills of 6,675 BBC stories).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

#: Sends stories as one task and returns a handle to wait on (a Meilisearch task uid).
Send = Callable[[list[dict[str, Any]]], Awaitable[Any]]
#: Waits until that task succeeded; raises its error.
Wait = Callable[[Any], Awaitable[None]]


class GroupCommit:
    def __init__(self, send: Send, wait: Wait, *, upstream_backlog: Callable[[], int],
                 busy_backlog: int = 64, target_docs: int = 500, min_target_docs: int = 100,
                 max_hold_s: float = 1.0, poll_s: float = 0.02) -> None:
        """`upstream_backlog`: entries waiting for the stages before this one; from
        `busy_backlog` on they count as busy (a back-fill)."""
        self._send = send
        self._wait = wait
        self._upstream_backlog = upstream_backlog
        self._busy_backlog = busy_backlog
        self._target_docs = target_docs
        self._min_target_docs = min_target_docs
        self._max_hold_s = max_hold_s
        self._poll_s = poll_s
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._arrived = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()

    async def add(self, stories: list[dict[str, Any]]) -> None:
        """Returns once a Meilisearch task holding these stories succeeded; raises its error.

        Takes ownership of `stories`: the list is emptied once it was sent."""
        loop = asyncio.get_running_loop()
        if self._loop_task is None or self._loop_task.done() or self._loop_task.get_loop() is not loop:
            self._arrived = asyncio.Event()
            self._in_flight = set()
            self._loop_task = asyncio.create_task(self._run(), name="index-group-commit")
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((stories, future))
        self._arrived.set()
        await future

    def _upstream_busy(self) -> bool:
        return self._upstream_backlog() >= self._busy_backlog

    def _hold_target(self) -> int:
        """`target_docs`, or half the upstream backlog when that is less (module docstring)."""
        return min(self._target_docs, max(self._min_target_docs, self._upstream_backlog() // 2))

    def _waiting_docs(self) -> int:
        return sum(len(stories) for stories, _ in self._waiting)

    async def _run(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            if self._upstream_busy() and self._in_flight:
                # Back-fill: one large task at a time (see the module docstring).
                await asyncio.wait(set(self._in_flight))
            held_since = time.monotonic()
            # Polled: the upstream backlog is a figure another task refreshes, not an event.
            while (self._upstream_busy() and self._waiting_docs() < self._hold_target()  # noqa: ASYNC110
                   and time.monotonic() - held_since < self._max_hold_s):
                await asyncio.sleep(self._poll_s)
            group, self._waiting = self._waiting, []
            if not group:
                continue
            stories = [story for part, _ in group for story in part]
            try:
                handle = await self._send(stories)
            except Exception as exc:  # noqa: BLE001 - every handler in the group gets it
                _settle(group, exc)
            else:
                # Sent: Meilisearch holds the stories now. Dropping them here, not when the
                # task succeeds seconds later, keeps a back-fill's in-flight task out of this
                # process's memory while the next group gathers.
                del stories
                for part, _ in group:
                    part.clear()
                waiter = asyncio.create_task(self._settle_when_done(handle, group))
                self._in_flight.add(waiter)
                waiter.add_done_callback(self._in_flight.discard)
            if self._waiting:
                self._arrived.set()

    async def _settle_when_done(self, handle: Any,
                                group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]]) -> None:
        try:
            await self._wait(handle)
        except asyncio.CancelledError:
            for _, future in group:
                future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - every handler in the group gets it
            _settle(group, exc)
        else:
            _settle(group, None)

    def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
        for waiter in list(self._in_flight):
            waiter.cancel()


def _settle(group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]],
            error: BaseException | None) -> None:
    for _, future in group:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
