"""Status marks on a real Redis: every article's fields land, later marks add to earlier ones,
and every status hash expires (a hash without a TTL would stay in Redis for good)."""

import asyncio
import uuid

import pytest

from newswire_common import status
from newswire_common.redisclient import redis_client

pytestmark = pytest.mark.integration


def test_marks_of_a_batch_land_per_article_add_up_and_expire(stack):
    run = uuid.uuid4().hex[:8]
    ids = [f"marks-{run}-{i}" for i in range(3)]

    async def scenario() -> tuple[list[dict[bytes, bytes]], list[int], dict | None]:
        redis = redis_client(stack.cfg.redis_url)
        try:
            async with redis.pipeline(transaction=True) as pipe:
                status.queue_marks(pipe, [
                    (ids[0], {"state": "cleaned", "trace_id": "t0"}),
                    (ids[1], {"state": "cleaned", "trace_id": "t1", "extra": "a b c"}),
                    (ids[2], {}),  # nothing to mark: no key either
                ])
                pipe.set(f"marks-{run}-sentinel", "1")  # the caller's own commands still run
                await pipe.execute()
            await status.mark_many(redis, [(ids[0], {"state": "indexed",
                                                     "indexed_at": "2026-11-24T10:00:00+00:00"})])
            hashes = [await redis.hgetall(status.status_key(i)) for i in ids]
            ttls = [await redis.ttl(status.status_key(i)) for i in ids]
            assert await redis.get(f"marks-{run}-sentinel") == b"1"
            return hashes, ttls, await status.read(redis, ids[1])
        finally:
            await redis.delete(*[status.status_key(i) for i in ids], f"marks-{run}-sentinel")
            await redis.aclose()

    hashes, ttls, read_back = asyncio.run(scenario())
    assert hashes[0] == {b"state": b"indexed", b"trace_id": b"t0",
                         b"indexed_at": b"2026-11-24T10:00:00+00:00"}
    assert hashes[1] == {b"state": b"cleaned", b"trace_id": b"t1", b"extra": b"a b c"}
    assert hashes[2] == {}
    assert status.STATUS_TTL_S - 60 < ttls[0] <= status.STATUS_TTL_S
    assert status.STATUS_TTL_S - 60 < ttls[1] <= status.STATUS_TTL_S
    assert ttls[2] == -2  # no key
    assert read_back == {"state": "cleaned", "trace_id": "t1", "extra": "a b c"}
