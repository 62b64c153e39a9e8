"""Poison messages and hopeless articles end in the dead-letter stream with their reason, the
flow goes on, and `newswire dlq` can list, show, replay and drop them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from newswire_common.contracts import EnrichedArticle, utcnow
from newswire_common.streams import Stream
from support import eventually

pytestmark = pytest.mark.integration


def newswire(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **stack.cfg.service_env()}
    return subprocess.run([str(Path(sys.executable).with_name("newswire")), *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def rds(stack):
    client = redis.Redis.from_url(stack.cfg.redis_url)
    yield client
    client.close()


def dead_letters(stack) -> list[dict]:
    listed = newswire(stack, "dlq", "list", "--count", "10000")
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]


def test_script_only_html_is_dead_lettered_with_reason(ingest, stack):
    html = "<html><head><script>var a = 1;</script><style>p {color: red}</style></head>" \
           "<body><script>document.write('x')</script></body></html>"
    accepted = ingest.post("/v1/articles", json={"html": html, "url": "https://example.org/js"})
    assert accepted.status_code == 202
    state = eventually(lambda: (s := ingest.get(accepted.json()["status_url"]).json())
                       .get("state") == "dead_lettered" and s)
    assert state["dead_letter_stage"] == "clean"
    assert "no article text" in state["dead_letter_reason"]
    entry = next(e for e in dead_letters(stack) if e["article_id"] == accepted.json()["id"])
    assert entry["stage"] == "clean" and entry["error_type"] == "EmptyArticleError"
    shown = json.loads(newswire(stack, "dlq", "show", entry["id"]).stdout)
    assert shown["payload"]["html"] == html  # the original message is kept whole


@pytest.mark.parametrize("stream", [Stream.RAW, Stream.CLEAN, Stream.ENRICHED])
def test_poison_in_every_stream_is_dead_lettered_and_flow_continues(stream, rds, ingest, stack):
    before = len(dead_letters(stack))
    rds.xadd(stream, {"__data__": b"\x00\xffnot a message at all"})
    rds.xadd(stream, {"unexpected": "fields"})
    eventually(lambda: len(dead_letters(stack)) >= before + 2, timeout=30)
    newest = dead_letters(stack)[-2:]
    assert all(e["error"] for e in newest)
    assert {e["stage"] for e in newest} == {{Stream.RAW: "clean", Stream.CLEAN: "enrich",
                                             Stream.ENRICHED: "index"}[stream]}
    # A good article right after the poison still goes all the way.
    good = ingest.post("/v1/articles", json={
        "text": f"After the poison in {stream}, ministers in Cardiff agreed a budget for "
                "new hospitals and schools across Wales on Thursday evening.",
        "url": f"https://example.org/after-poison/{stream}"}).json()
    eventually(lambda: ingest.get(good["status_url"]).json().get("state") == "indexed")
    # Nothing is left pending in any group ("indexed" is recorded just before the ack).
    eventually(lambda: all(g["pending"] == 0 for g in rds.xinfo_groups(stream)), 10)


def test_replay_puts_a_message_back_into_its_stage(rds, stack, search):
    """A message that was dead-lettered (say, during an outage) is indexed after replay."""
    now = utcnow()
    article = EnrichedArticle(
        article_id="replay-me-1", trace_id="trace-replay", received_at=now, cleaned_at=now,
        enriched_at=now, title="Replayed story about Swansea harbour",
        body="Swansea harbour reopened after repairs, the port authority said.")
    import asyncio

    from faststream.redis.parser.binary import BinaryMessageFormatV1

    from newswire_common.contracts import DeadLetter

    letter = DeadLetter(stage="index", stream=Stream.ENRICHED, article_id=article.article_id,
                        trace_id=article.trace_id, error="Meilisearch unreachable",
                        error_type="ConnectError", attempts=5,
                        payload=article.model_dump(mode="json"))
    data = asyncio.run(BinaryMessageFormatV1.encode(message=letter.model_dump(mode="json"),
                                                    reply_to=None, headers={},
                                                    correlation_id="x"))
    entry_id = rds.xadd(Stream.DEAD, {"__data__": data}).decode()
    replayed = newswire(stack, "dlq", "replay", entry_id)
    assert replayed.returncode == 0, replayed.stderr
    eventually(lambda: search.get("/v1/stories/replay-me-1").status_code == 200)
    assert entry_id not in [e["id"] for e in dead_letters(stack)]


def test_drop_removes_a_dead_letter(rds, stack):
    entry_id = rds.xadd(Stream.DEAD, {"__data__": b"junk"}).decode()
    assert newswire(stack, "dlq", "drop", entry_id).returncode == 0
    assert newswire(stack, "dlq", "drop", entry_id).returncode == 1
