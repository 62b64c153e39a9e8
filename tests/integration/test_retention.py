"""Stream retention never deletes an entry that some consumer group still needs."""

import asyncio

import pytest

from newswire_common.redisclient import redis_client
from newswire_common.retention import trim_stream

pytestmark = pytest.mark.integration


def test_trim_keeps_pending_and_undelivered_entries(stack):
    async def scenario() -> tuple[int, list[bytes], list[bytes]]:
        redis = redis_client(stack.cfg.redis_url)
        stream = "test.retention"
        try:
            await redis.delete(stream)
            ids = [await redis.xadd(stream, {"n": str(i)}) for i in range(10)]
            await redis.xgroup_create(stream, "fast", id="0")
            await redis.xgroup_create(stream, "slow", id="0")
            # "fast" reads and acks everything; "slow" reads 6, acks the first 3 only.
            fast = await redis.xreadgroup("fast", "c", {stream: ">"}, count=10)
            await redis.xack(stream, "fast", *[i for i, _ in fast[0][1]])
            slow = await redis.xreadgroup("slow", "c", {stream: ">"}, count=6)
            await redis.xack(stream, "slow", *[i for i, _ in slow[0][1][:3]])
            removed = await trim_stream(redis, stream, retention_s=0)
            left = [i for i, _ in await redis.xrange(stream)]
            return removed, ids, left
        finally:
            await redis.delete(stream)
            await redis.aclose()

    removed, ids, left = asyncio.run(scenario())
    # Entries 0-2 are acked by both groups; entry 3 is still pending in "slow".
    assert removed == 3
    assert left == ids[3:]


def test_trim_respects_the_retention_horizon(stack):
    async def scenario() -> int:
        redis = redis_client(stack.cfg.redis_url)
        stream = "test.retention.horizon"
        try:
            await redis.delete(stream)
            for i in range(5):
                await redis.xadd(stream, {"n": str(i)})
            await redis.xgroup_create(stream, "g", id="0")
            read = await redis.xreadgroup("g", "c", {stream: ">"}, count=5)
            await redis.xack(stream, "g", *[i for i, _ in read[0][1]])
            return await trim_stream(redis, stream, retention_s=3600)
        finally:
            await redis.delete(stream)
            await redis.aclose()

    assert asyncio.run(scenario()) == 0  # acknowledged but younger than an hour: kept
