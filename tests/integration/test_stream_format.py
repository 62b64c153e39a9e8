"""Entries the stages queue themselves (`queue_articles`) are the entries FastStream's publisher
writes: same body bytes, same headers, so any FastStream consumer reads them the same way."""

import asyncio
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from faststream.redis import RedisBroker
from faststream.redis.parser.binary import BinaryMessageFormatV1

from newswire_common.broker import article_headers, queue_articles
from newswire_common.contracts import Author, CleanArticle

pytestmark = pytest.mark.integration


def test_queued_articles_match_what_the_publisher_writes(stack):
    article = CleanArticle(
        article_id="fmt-1", trace_id="trace-fmt-1", received_at=datetime.now(UTC),
        cleaned_at=datetime.now(UTC), url="https://example.org/fmt", title="Ünïcode “title”",
        body="First paragraph.\n\nSecond — with a dash.", authors=[Author(name="Jane Roe")])

    async def both() -> list[tuple[bytes, dict]]:
        broker = RedisBroker(stack.cfg.redis_url)
        publisher = broker.publisher(stream="test.format.publisher")
        client = aioredis.Redis.from_url(stack.cfg.redis_url)
        await broker.connect()
        try:
            async with client.pipeline(transaction=False) as pipe:
                ids = article_headers(article.article_id, article.trace_id)
                await publisher.publish(article, headers=ids, correlation_id=article.trace_id,
                                        pipeline=pipe)
                await queue_articles(pipe, "test.format.queued",
                                     [(article, article.article_id, article.trace_id)])
                await pipe.execute()
            entries = []
            for stream in ("test.format.publisher", "test.format.queued"):
                [(_, fields)] = await client.xrange(stream)
                assert set(fields) == {b"__data__"}
                entries.append(BinaryMessageFormatV1.parse(fields[b"__data__"]))
                await client.delete(stream)
            return entries
        finally:
            await client.aclose()
            await broker.stop()

    by_publisher, queued = asyncio.run(both())
    assert queued == by_publisher
    body, headers = queued
    assert CleanArticle.model_validate_json(body) == article
    assert headers["article_id"] == "fmt-1" and headers["trace_id"] == "trace-fmt-1"
    assert headers["content-type"] == "application/json"


def test_a_batch_is_queued_in_order_as_one_command(stack):
    """One EVAL for the batch (one reply to read, not one per entry), entries in batch order."""
    articles = [CleanArticle(
        article_id=f"batch-{i}", trace_id=f"trace-batch-{i}", received_at=datetime.now(UTC),
        cleaned_at=datetime.now(UTC), title=f"Story {i}", body=f"Body {i}.") for i in range(5)]

    async def queue() -> tuple[int, list[tuple[bytes, dict]]]:
        client = aioredis.Redis.from_url(stack.cfg.redis_url)
        try:
            async with client.pipeline(transaction=True) as pipe:
                await queue_articles(pipe, "test.format.batch",
                                     [(a, a.article_id, a.trace_id) for a in articles])
                commands = len(pipe.command_stack)
                await pipe.execute()
            entries = [BinaryMessageFormatV1.parse(fields[b"__data__"])
                       for _, fields in await client.xrange("test.format.batch")]
            await client.delete("test.format.batch")
            return commands, entries
        finally:
            await client.aclose()

    commands, entries = asyncio.run(queue())
    assert commands == 1
    assert [CleanArticle.model_validate_json(body) for body, _ in entries] == articles
    assert [headers["trace_id"] for _, headers in entries] == [a.trace_id for a in articles]
