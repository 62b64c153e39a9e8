"""Group commit: concurrent index handlers share Meilisearch tasks (pure asyncio, fake commit)."""

import asyncio

import pytest

from newswire_index.group_commit import GroupCommit


class FakeMeili:
    """Records each commit's stories; each commit takes `seconds`, optionally fails."""

    def __init__(self, seconds: float = 0.05, fail: Exception | None = None) -> None:
        self.seconds, self.fail = seconds, fail
        self.commits: list[list[str]] = []

    async def commit(self, stories: list[dict]) -> None:
        self.commits.append([s["id"] for s in stories])
        await asyncio.sleep(self.seconds)
        if self.fail:
            raise self.fail


def stories(*ids: str) -> list[dict]:
    return [{"id": i} for i in ids]


async def test_a_lone_batch_is_committed_at_once_when_upstream_is_idle():
    meili = FakeMeili(seconds=0.01)
    commit = GroupCommit(meili.commit, upstream_busy=lambda: False, max_hold_s=5)
    await asyncio.wait_for(commit.add(stories("a")), 1)  # not held for max_hold_s
    assert meili.commits == [["a"]]
    commit.close()


async def test_batches_arriving_during_a_commit_share_the_next_one():
    meili = FakeMeili(seconds=0.1)
    commit = GroupCommit(meili.commit, upstream_busy=lambda: False)
    first = asyncio.create_task(commit.add(stories("a")))
    await asyncio.sleep(0.02)  # "a" is being committed now
    rest = [asyncio.create_task(commit.add(stories(i))) for i in ("b", "c", "d")]
    await asyncio.gather(first, *rest)
    assert meili.commits == [["a"], ["b", "c", "d"]]
    commit.close()


async def test_while_upstream_is_busy_small_batches_wait_for_the_target():
    meili = FakeMeili(seconds=0.01)
    commit = GroupCommit(meili.commit, upstream_busy=lambda: True, target_docs=4,
                         max_hold_s=5)
    adds = [asyncio.create_task(commit.add(stories(f"{i}a", f"{i}b"))) for i in range(2)]
    await asyncio.sleep(0.1)
    assert meili.commits == [["0a", "0b", "1a", "1b"]]  # one commit once 4 were waiting
    await asyncio.gather(*adds)
    commit.close()


async def test_holding_ends_after_max_hold():
    meili = FakeMeili(seconds=0.01)
    commit = GroupCommit(meili.commit, upstream_busy=lambda: True, target_docs=100,
                         max_hold_s=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await commit.add(stories("a"))
    assert 0.15 <= loop.time() - started < 2 and meili.commits == [["a"]]
    commit.close()


async def test_a_failed_commit_fails_every_handler_in_it_and_the_next_one_runs():
    meili = FakeMeili(seconds=0.05, fail=ConnectionError("meilisearch down"))
    commit = GroupCommit(meili.commit, upstream_busy=lambda: False)
    first = asyncio.create_task(commit.add(stories("a")))
    await asyncio.sleep(0.01)
    grouped = [asyncio.create_task(commit.add(stories(i))) for i in ("b", "c")]
    results = await asyncio.gather(first, *grouped, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    meili.fail = None
    await commit.add(stories("d"))  # the loop survived the failure
    assert meili.commits[-1] == ["d"]
    commit.close()


@pytest.mark.parametrize("busy", [False, True])
async def test_no_story_is_lost_or_committed_twice_under_concurrency(busy):
    meili = FakeMeili(seconds=0.005)
    commit = GroupCommit(meili.commit, upstream_busy=lambda: busy, target_docs=50,
                         max_hold_s=0.05)
    ids = [f"s{i}" for i in range(300)]
    await asyncio.gather(*(commit.add(stories(i)) for i in ids))
    committed = [i for c in meili.commits for i in c]
    assert sorted(committed) == sorted(ids)
    assert len(meili.commits) < len(ids) / 5  # shared, not one task per batch
    commit.close()
