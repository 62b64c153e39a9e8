"""The worker handler: enrich, look up near duplicates in Redis, publish (FastStream's test
broker delivers the input; the near-duplicate index, the status marks and the published
entries go to a real redis-server)."""

import uuid

from faststream.redis import TestRedisBroker
from redis.asyncio import Redis

from newswire_common.broker import decode_entry
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

    async def published_after(publish) -> dict:
        [(last_id, _)] = await client.xrevrange(Stream.ENRICHED, count=1) or [(b"0-0", {})]
        await publish
        [(_, fields)] = await client.xrange(Stream.ENRICHED, min=b"(" + last_id)
        body, headers = decode_entry(fields)
        assert headers["article_id"] == body["article_id"]
        return body

    try:
        async with TestRedisBroker(worker.broker) as br:
            first = await published_after(br.publish(original, stream=Stream.CLEAN))
            second = await published_after(br.publish(repost, stream=Stream.CLEAN))
            # redelivery of the same article
            third = await published_after(br.publish(original, stream=Stream.CLEAN))
    finally:
        await client.aclose()
    assert first["article_id"] == "orig" and first["near_duplicate_of"] is None
    assert first["language"] == "en" and first["keywords"] and first["entities"]
    assert second["article_id"] == "repost" and second["near_duplicate_of"] == "orig"
    assert second["section"] == "culture"
    assert third["article_id"] == "orig" and third["near_duplicate_of"] is None
