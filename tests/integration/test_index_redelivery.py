"""The index stage acknowledges a message only after its Meilisearch task succeeded.

With Meilisearch stopped, an enriched article stays pending in the index group; once
Meilisearch is back, the reclaimer redelivers it and it becomes searchable with nothing left
pending. Runs on its own stack because it stops a server.
"""

import time

import pytest
import redis
from conftest import start_stack

from support import eventually

pytestmark = pytest.mark.integration


def test_index_waits_for_meilisearch_and_redelivers(tmp_path, servers, seed_text):
    if servers:
        pytest.skip("needs the local meilisearch under supervisord to stop and start it")
    stack = start_stack(tmp_path, servers)
    try:
        supervisor = stack.rpc().supervisor
        supervisor.stopProcess("meilisearch:meilisearch")
        with stack.ingest_client(timeout=30) as ingest:
            response = ingest.post("/v1/articles", json={
                "text": seed_text, "url": "https://example.org/redelivery"})
            assert response.status_code == 202, response.text
            status_url = response.json()["status_url"]
            eventually(lambda: ingest.get(status_url).json().get("state") == "enriched", 60)
            client = redis.Redis.from_url(stack.cfg.redis_url)
            # The index worker has read it and failed: it is pending, not acknowledged. (A slow
            # first enrich can exceed the test's 3 s reclaim time and send a second copy.)
            eventually(lambda: client.xpending("articles.enriched", "index")["pending"] >= 1, 20)
            time.sleep(1)
            assert ingest.get(status_url).json().get("state") == "enriched"
            supervisor.startProcess("meilisearch:meilisearch")
            eventually(lambda: ingest.get(status_url).json().get("state") == "indexed", 90)
            # "indexed" is recorded just before the acknowledgement: wait for it.
            eventually(lambda: client.xpending("articles.enriched", "index")["pending"] == 0, 10)
            assert client.xlen("articles.dead") == 0
    finally:
        stack.stop()


def test_article_with_no_story_is_dead_lettered_not_left_pending(ingest, stack):
    """clean rejects a page with nothing but boilerplate: it lands in articles.dead at once."""
    client = redis.Redis.from_url(stack.cfg.redis_url)
    before = client.xlen("articles.dead")
    response = ingest.post("/v1/articles", json={
        "text": "Headline\n\nRecent Posts\n\nSomething else entirely",
        "url": "https://example.org/only-boilerplate"})
    assert response.status_code == 202, response.text
    eventually(lambda: client.xlen("articles.dead") == before + 1, 30)
    # The dead letter is written before the entry is acknowledged (at-least-once): wait for both.
    eventually(lambda: client.xpending("articles.raw", "clean")["pending"] == 0, 10)
