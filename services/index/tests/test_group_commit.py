"""Group commit: concurrent index handlers share Meilisearch tasks and batches (pure asyncio,
a fake task queue that batches like Meilisearch)."""

import asyncio

import pytest

from newswire_index.group_commit import GroupCommit


class FakeMeili:
    """Meilisearch's task queue in miniature: batches run one at a time, a batch takes every
    task queued when it starts, and takes `seconds`; `fail` fails the tasks it finishes."""

    def __init__(self, seconds: float = 0.05, fail: Exception | None = None,
                 send_seconds: float = 0.0) -> None:
        self.seconds, self.fail, self.send_seconds = seconds, fail, send_seconds
        self.commits: list[list[str]] = []  # the stories of each task, in the order sent
        self.batches: list[list[int]] = []  # task uids of each batch
        self.sent_at: list[float] = []
        self.batch_ended_at: list[float] = []
        self.sending = self.max_sending = 0
        self._queue: list[int] = []
        self._done: dict[int, Exception | None] = {}
        self._finished: dict[int, asyncio.Event] = {}
        self._worker: asyncio.Task[None] | None = None

    async def send(self, stories: list[dict]) -> int:
        self.sending += 1
        self.max_sending = max(self.max_sending, self.sending)
        await asyncio.sleep(self.send_seconds)
        self.sending -= 1
        uid = len(self.commits)
        self.commits.append([s["id"] for s in stories])
        self.sent_at.append(asyncio.get_running_loop().time())
        self._queue.append(uid)
        self._finished[uid] = asyncio.Event()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._process())
        return uid

    async def _process(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            self.batches.append(batch)
            await asyncio.sleep(self.seconds)
            self.batch_ended_at.append(asyncio.get_running_loop().time())
            for uid in batch:
                self._done[uid] = self.fail
                self._finished[uid].set()

    async def wait(self, uid: int) -> None:
        await self._finished[uid].wait()
        if self._done[uid] is not None:
            raise self._done[uid]


def IDLE() -> int:  # noqa: N802 - stands for a constant backlog
    return 0


def BUSY() -> int:  # noqa: N802
    return 10**6


def stories(*ids: str) -> list[dict]:
    return [{"id": i} for i in ids]


def group_commit(meili: FakeMeili, **kwargs) -> GroupCommit:
    return GroupCommit(meili.send, meili.wait, **kwargs)


async def test_a_lone_batch_is_committed_at_once_when_upstream_is_idle():
    meili = FakeMeili(seconds=0.01)
    commit = group_commit(meili, upstream_backlog=IDLE, max_hold_s=5)
    await asyncio.wait_for(commit.add(stories("a")), 1)  # not held for max_hold_s
    assert meili.commits == [["a"]]
    commit.close()


async def test_stories_arriving_during_a_batch_are_sent_at_once_and_share_the_next_batch():
    """No gap between batches: what arrives while one runs is queued behind it right away
    (not after its success was seen), and the queue merges it into one next batch."""
    meili = FakeMeili(seconds=0.1)
    commit = group_commit(meili, upstream_backlog=IDLE)
    first = asyncio.create_task(commit.add(stories("a")))
    await asyncio.sleep(0.02)  # "a" is being indexed now
    rest = []
    for i in ("b", "c", "d"):
        rest.append(asyncio.create_task(commit.add(stories(i))))
        await asyncio.sleep(0.01)
    await asyncio.gather(first, *rest)
    assert sorted(i for c in meili.commits[1:] for i in c) == ["b", "c", "d"]
    assert all(sent < meili.batch_ended_at[0] for sent in meili.sent_at[1:])
    assert [sorted(i for uid in batch for i in meili.commits[uid]) for batch in meili.batches] \
        == [["a"], ["b", "c", "d"]]
    commit.close()


async def test_tasks_are_sent_one_at_a_time_in_arrival_order():
    """Two versions of a story must reach Meilisearch in the order they came."""
    meili = FakeMeili(seconds=0.01, send_seconds=0.02)
    commit = group_commit(meili, upstream_backlog=IDLE)
    adds = []
    for version in range(5):
        adds.append(asyncio.create_task(commit.add([{"id": "a", "v": version}])))
        await asyncio.sleep(0.015)  # each arrives while the previous send is under way
    await asyncio.gather(*adds)
    assert meili.max_sending == 1
    assert sum(meili.commits, []) == ["a"] * 5
    commit.close()


async def test_while_upstream_is_busy_small_batches_wait_for_the_target():
    meili = FakeMeili(seconds=0.01)
    commit = group_commit(meili, upstream_backlog=BUSY, target_docs=4, max_hold_s=5)
    adds = [asyncio.create_task(commit.add(stories(f"{i}a", f"{i}b"))) for i in range(2)]
    await asyncio.sleep(0.1)
    assert meili.commits == [["0a", "0b", "1a", "1b"]]  # one commit once 4 were waiting
    await asyncio.gather(*adds)
    commit.close()


async def test_the_target_shrinks_to_half_the_upstream_backlog():
    """The end of a back-fill: with 40 entries left upstream, 20 waiting are enough."""
    meili = FakeMeili(seconds=0.01)
    backlog = 40
    commit = group_commit(meili, upstream_backlog=lambda: backlog, busy_backlog=10,
                          target_docs=100, min_target_docs=5, max_hold_s=5)
    first = asyncio.create_task(commit.add(stories(*(f"a{i}" for i in range(15)))))
    await asyncio.sleep(0.1)
    assert meili.commits == []  # 15 < 20: held
    second = asyncio.create_task(commit.add(stories(*(f"b{i}" for i in range(5)))))
    await asyncio.sleep(0.1)
    assert [len(c) for c in meili.commits] == [20]  # not held for the 100 of `target_docs`
    backlog = 5  # below busy_backlog: whatever waits goes at once
    await asyncio.wait_for(commit.add(stories("c")), 1)
    await asyncio.gather(first, second)
    commit.close()


async def test_while_upstream_is_busy_one_task_is_in_flight_at_a_time():
    meili = FakeMeili(seconds=0.1)
    commit = group_commit(meili, upstream_backlog=BUSY, target_docs=1, max_hold_s=5)
    first = asyncio.create_task(commit.add(stories("a")))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(commit.add(stories("b")))
    await asyncio.gather(first, second)
    assert meili.sent_at[1] >= meili.batch_ended_at[0]
    commit.close()


async def test_holding_ends_after_max_hold():
    meili = FakeMeili(seconds=0.01)
    commit = group_commit(meili, upstream_backlog=BUSY, target_docs=100, max_hold_s=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await commit.add(stories("a"))
    assert 0.15 <= loop.time() - started < 2 and meili.commits == [["a"]]
    commit.close()


async def test_stories_are_let_go_once_sent_not_when_their_task_succeeds():
    """A back-fill's handlers wait seconds for their task; the documents need not wait too."""
    meili = FakeMeili(seconds=0.2)
    commit = group_commit(meili, upstream_backlog=IDLE)
    batch = stories("a", "b")
    handler = asyncio.create_task(commit.add(batch))
    await asyncio.sleep(0.05)  # sent, still being indexed
    assert meili.commits == [["a", "b"]] and not handler.done()
    assert batch == []
    await handler
    commit.close()


async def test_a_failed_task_fails_every_handler_in_it_and_the_next_one_runs():
    meili = FakeMeili(seconds=0.05, fail=ConnectionError("meilisearch down"))
    commit = group_commit(meili, upstream_backlog=IDLE)
    first = asyncio.create_task(commit.add(stories("a")))
    await asyncio.sleep(0.01)
    grouped = [asyncio.create_task(commit.add(stories(i))) for i in ("b", "c")]
    results = await asyncio.gather(first, *grouped, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    meili.fail = None
    await commit.add(stories("d"))  # the loop survived the failure
    assert meili.commits[-1] == ["d"]
    commit.close()


async def test_a_failed_send_fails_its_handlers_and_the_next_one_runs():
    meili = FakeMeili(seconds=0.01)
    calls = 0

    async def send(documents: list[dict]) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("meilisearch unreachable")
        return await meili.send(documents)

    commit = GroupCommit(send, meili.wait, upstream_backlog=IDLE)
    with pytest.raises(ConnectionError):
        await commit.add(stories("a"))
    await commit.add(stories("b"))
    assert meili.commits == [["b"]]
    commit.close()


async def test_closing_cancels_handlers_still_waiting():
    meili = FakeMeili(seconds=5)
    commit = group_commit(meili, upstream_backlog=IDLE)
    pending = asyncio.create_task(commit.add(stories("a")))
    await asyncio.sleep(0.02)
    commit.close()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(pending, 1)


@pytest.mark.parametrize("busy", [False, True])
async def test_no_story_is_lost_or_committed_twice_under_concurrency(busy):
    meili = FakeMeili(seconds=0.005)
    commit = group_commit(meili, upstream_backlog=BUSY if busy else IDLE, target_docs=50, max_hold_s=0.05)
    ids = [f"s{i}" for i in range(300)]
    await asyncio.gather(*(commit.add(stories(i)) for i in ids))
    committed = [i for c in meili.commits for i in c]
    assert sorted(committed) == sorted(ids)
    assert len(meili.batches) < len(ids) / 5  # shared, not one batch per handler
    commit.close()
