"""The worker handler: enrich, look up near duplicates in Redis, publish (FastStream test
broker for the streams, a real redis-server for the near-duplicate index)."""

import uuid

from faststream.redis import TestRedisBroker
from redis.asyncio import Redis

from newswire_common.streams import Stream
from newswire_enrich import worker
from newswire_enrich.dedup import NearDuplicateIndex


async def test_worker_publishes_enriched_with_near_duplicate(redis_url, make, bbc, monkeypatch):
    client = Redis.from_url(redis_url)
    monkeypatch.setattr(worker, "near_duplicates",
                        NearDuplicateIndex(client, prefix=f"wtest:{uuid.uuid4().hex}"))
    monkeypatch.setattr(worker, "redis", client)  # status marks go to the test's redis-server
    story = bbc("bbc-entertainment-306")
    original = make(story["text"], title=story["title"], article_id="orig",
                    url="https://a.example.com/arts/festival")
    repost = make(story["text"], title=story["title"], article_id="repost",
                  url="https://b.example.com/culture/festival-copy")
    try:
        async with TestRedisBroker(worker.broker) as br:
            await br.publish(original, stream=Stream.CLEAN)
            first = worker.enriched.mock.call_args.args[0]
            await br.publish(repost, stream=Stream.CLEAN)
            second = worker.enriched.mock.call_args.args[0]
            await br.publish(original, stream=Stream.CLEAN)  # redelivery of the same article
            third = worker.enriched.mock.call_args.args[0]
    finally:
        await client.aclose()
    assert first["article_id"] == "orig" and first["near_duplicate_of"] is None
    assert first["language"] == "en" and first["keywords"] and first["entities"]
    assert second["article_id"] == "repost" and second["near_duplicate_of"] == "orig"
    assert second["section"] == "culture"
    assert third["article_id"] == "orig" and third["near_duplicate_of"] is None
