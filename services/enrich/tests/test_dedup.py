"""Near-duplicate detection against a real redis-server."""

import uuid

import numpy as np
import pytest
from redis.asyncio import Redis

from newswire_enrich.dedup import (
    NearDuplicateIndex,
    _mod_prime,
    dedup_text,
    signature,
    similarity,
)


@pytest.fixture
async def index(redis_url):
    client = Redis.from_url(redis_url)
    idx = NearDuplicateIndex(client, threshold=0.8, prefix=f"test:{uuid.uuid4().hex}")
    yield idx
    await client.aclose()


def test_mod_prime_without_division_is_exact():
    p = (1 << 61) - 1
    xs = [0, 1, p - 1, p, p + 1, p + 6, 2 * p, 2 * p + 5, (1 << 64) - 1, (1 << 64) - 2,
          7 * p + 6, 8 * p - 1, 0x1234_5678_9ABC_DEF0, *range(p - 3, p + 9)]
    got = _mod_prime(np.array(xs, dtype=np.uint64))
    assert got.tolist() == [x % p for x in xs]


def test_signature_similarity(bbc):
    a = bbc("bbc-politics-126")["text"]
    assert similarity(signature(a), signature(a)) == 1.0
    b = bbc("bbc-sport-246")["text"]
    assert similarity(signature(a), signature(b)) < 0.2


async def test_repost_with_new_url_is_near_duplicate(index, bbc):
    story = bbc("bbc-politics-126")
    text = dedup_text(story["title"], story["text"])
    assert await index.check_and_add("original-id", text) is None
    # syndicated copy: new id (new URL), a credit line added, one sentence dropped
    copy = text.replace("\n\n", "\n\n", 1) + "\n\nThis story was first published by BBC News."
    copy = copy.replace("Mr Blair is at a summit in Brussels, where Iraq and European justice "
                        "and immigration plans are on the agenda. ", "")
    assert await index.check_and_add("copy-id", copy) == "original-id"
    # a copy of the copy still points at the first original
    assert await index.check_and_add("copy-2", copy + " Updated.") == "original-id"


async def test_unrelated_article_is_not_a_duplicate(index, bbc):
    first = bbc("bbc-business-001")
    other = bbc("bbc-business-002")  # same section, different story
    assert await index.check_and_add("b1", dedup_text(first["title"], first["text"])) is None
    assert await index.check_and_add("b2", dedup_text(other["title"], other["text"])) is None


async def test_redelivered_article_is_not_its_own_duplicate(index, bbc):
    story = bbc("bbc-tech-066")
    text = dedup_text(story["title"], story["text"])
    assert await index.check_and_add("same-id", text) is None
    assert await index.check_and_add("same-id", text) is None  # at-least-once redelivery
    assert await index.find("same-id", text) is None
    assert await index.find("another-id", text) == "same-id"


async def test_redelivered_original_does_not_point_at_its_later_copy(index, bbc):
    story = bbc("bbc-sport-066")
    text = dedup_text(story["title"], story["text"])
    assert await index.check_and_add("first", text) is None
    assert await index.check_and_add("later-copy", text) == "first"
    assert await index.check_and_add("first", text) is None  # redelivered original
    assert await index.check_and_add("later-copy", text) == "first"  # redelivered copy


async def test_a_batch_answers_as_one_by_one_in_order(index, redis_url, bbc):
    """check_and_add_many: copies later in the batch find originals earlier in it, a copy of a
    copy reports the first original, the same id twice is not its own duplicate, and the
    answers equal those of check_and_add one article at a time."""
    stories = [bbc(i) for i in ("bbc-politics-126", "bbc-sport-246", "bbc-tech-066")]
    texts = [dedup_text(s["title"], s["text"]) for s in stories]
    copy = texts[0] + "\n\nThis story was first published by BBC News."
    batch = [("p1", texts[0]), ("s1", texts[1]), ("p2", copy), ("p3", copy + " Updated."),
             ("t1", texts[2]), ("t1", texts[2]), ("t2", texts[2])]
    expected = [None, None, "p1", "p1", None, None, "t1"]

    found = await index.check_and_add_many([(a, signature(t)) for a, t in batch])
    assert found == expected

    one_by_one = NearDuplicateIndex(index.redis, threshold=0.8,
                                    prefix=f"test:{uuid.uuid4().hex}")
    assert [await one_by_one.check_and_add(a, t) for a, t in batch] == expected
    # redelivery of the whole batch answers the same (first-seen order is kept)
    assert await index.check_and_add_many([(a, signature(t)) for a, t in batch]) == expected
