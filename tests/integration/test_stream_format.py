"""Entries the stages queue themselves (`queue_article`) are the entries FastStream's publisher
writes: same body bytes, same headers, so any FastStream consumer reads them the same way."""

import asyncio
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from faststream.redis import RedisBroker
from faststream.redis.parser.binary import BinaryMessageFormatV1

from newswire_common.broker import article_headers, queue_article
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
                await queue_article(pipe, "test.format.queued", article,
                                    article_id=article.article_id, trace_id=article.trace_id)
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
