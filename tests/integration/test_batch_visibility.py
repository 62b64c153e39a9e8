"""A batch written to a stream reaches a reader that is already waiting as one batch.

Redis serves blocked readers after every command, pipelined or not: entries XADDed in a plain
pipeline wake a blocked XREADGROUP with the first one alone. The index stage's readers then held
one story each, so a back-fill's group commits stayed small or sat out their whole hold
(group_commit.py). Writing a batch as one command (`queue_articles`, one Lua call of XADDs)
makes it visible at once."""

import asyncio
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import redis.asyncio as aioredis

from newswire_common.contracts import CleanArticle
from newswire_common.stage import StageSpec, run_stage_batch
from newswire_common.streams import Stream

pytestmark = pytest.mark.integration


async def first_read_when_blocked(redis_url: str, stream: str, write: Any) -> list[Any]:
    """Block a consumer-group reader on `stream`, run `write()`, and return its first read."""
    group = f"probe-{uuid.uuid4().hex[:8]}"
    admin = aioredis.Redis.from_url(redis_url)
    reader = aioredis.Redis.from_url(redis_url, client_name=group)
    try:
        await admin.xgroup_create(stream, group, id="$", mkstream=True)
        read = asyncio.create_task(
            reader.xreadgroup(group, "probe", {stream: ">"}, count=1000, block=10_000))
        deadline = time.monotonic() + 10
        while not any(c["name"] == group and "b" in c["flags"] for c in await admin.client_list()):
            assert time.monotonic() < deadline, "the reader never blocked"
            await asyncio.sleep(0.01)
        await write()
        [(_, entries)] = await read
        return entries
    finally:
        await admin.xgroup_destroy(stream, group)
        await reader.aclose()
        await admin.aclose()


def test_a_stage_batch_reaches_a_waiting_reader_whole(stack):
    stream = f"test.visibility.{uuid.uuid4().hex[:8]}"
    articles = [CleanArticle(article_id=f"vis-{i}", trace_id=f"trace-vis-{i}",
                             received_at=datetime.now(UTC), cleaned_at=datetime.now(UTC),
                             url=f"https://example.org/vis-{i}", title=f"Story {i}",
                             body="A paragraph of text.")
                for i in range(20)]
    spec = StageSpec(stage="enrich", model=CleanArticle, work=lambda a: a,
                     failure_reason=str, state="enriched", status_fields=lambda a: {},
                     log_event="article passed", log_fields=lambda a: {})
    publisher = SimpleNamespace(stream=SimpleNamespace(name=stream))

    async def scenario() -> list[Any]:
        redis = aioredis.Redis.from_url(stack.cfg.redis_url)
        try:
            return await first_read_when_blocked(stack.cfg.redis_url, stream, lambda: run_stage_batch(
                spec, [a.model_dump(mode="json") for a in articles], redis=redis,
                publisher=publisher))  # type: ignore[arg-type]
        finally:
            await redis.delete(stream)
            await redis.aclose()

    assert len(asyncio.run(scenario())) == len(articles)


def test_an_ingest_batch_reaches_a_waiting_reader_whole(stack, ingest):
    run = uuid.uuid4().hex[:8]
    items = [{"url": f"https://example.org/visibility/{run}/{i}", "title": f"Story {i}",
              "text": f"Story {i} of a batch posted at once. " * 20} for i in range(10)]

    async def post() -> None:
        response = await asyncio.to_thread(ingest.post, "/v1/articles/batch", json=items)
        assert response.status_code == 202, response.text

    entries = asyncio.run(first_read_when_blocked(stack.cfg.redis_url, str(Stream.RAW), post))
    assert len(entries) == len(items)
