"""The task poller: one request for every open task, less often the longer a task runs."""

import asyncio

import pytest

from newswire_index.meili import TaskWatcher, poll_interval


def test_the_interval_is_a_tenth_of_the_wait_within_its_bounds():
    assert poll_interval(0.0, 0.02, 0.2) == 0.02
    assert poll_interval(0.5, 0.02, 0.2) == pytest.approx(0.05)
    assert poll_interval(60.0, 0.02, 0.2) == 0.2


class FakeTasks:
    """GET /tasks for tasks that finish `seconds` after they were created."""

    def __init__(self, seconds: dict[int, float]) -> None:
        self.loop = asyncio.get_running_loop()
        self.ends = {uid: self.loop.time() + s for uid, s in seconds.items()}
        self.polls = 0

    async def request(self, method: str, path: str, params: dict) -> dict:
        assert (method, path) == ("GET", "/tasks")
        self.polls += 1
        now = self.loop.time()
        return {"results": [{"uid": uid, "status": "succeeded" if now >= self.ends[uid]
                             else "processing"} for uid in map(int, params["uids"].split(","))]}


async def test_a_long_task_costs_few_polls_and_is_seen_soon_after_it_ends():
    meili = FakeTasks({1: 1.5})
    watcher = TaskWatcher(meili)  # type: ignore[arg-type]
    started = meili.loop.time()
    task = await watcher.wait(1, timeout_s=5)
    late_by = meili.loop.time() - meili.ends[1]
    assert task["status"] == "succeeded"
    assert late_by < 0.2  # a tenth of 1.5 s, plus scheduling
    assert meili.polls < 40  # every 20 ms would be ~75
    assert meili.loop.time() - started < 1.8


async def test_a_short_task_is_still_polled_every_20_ms():
    meili = FakeTasks({1: 0.1})
    watcher = TaskWatcher(meili)  # type: ignore[arg-type]
    await watcher.wait(1, timeout_s=5)
    assert meili.loop.time() - meili.ends[1] < 0.04


async def test_every_open_task_is_asked_about_in_one_poll():
    meili = FakeTasks({1: 0.2, 2: 0.3, 3: 0.3})
    watcher = TaskWatcher(meili)  # type: ignore[arg-type]
    results = await asyncio.gather(*(watcher.wait(uid, timeout_s=5) for uid in (1, 2, 3)))
    assert [r["status"] for r in results] == ["succeeded"] * 3
    assert meili.polls <= 16  # ~0.3 s at 20-30 ms, for the three together
