"""Nothing lost, nothing doubled: with 500 articles in flight we kill workers, stop
Meilisearch, restart Redis and inject poison; every accepted article ends up searchable exactly
once, poison sits in the dead-letter stream, and nothing stays pending."""

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import redis
from conftest import SHARED_DIR, start_stack

from newswire_cli.stack import LocalStack
from newswire_common.streams import Stream
from support import eventually

pytestmark = pytest.mark.integration

ARTICLES_PER_SCENARIO = 500
AUTHORS = ["Ada Fault", "Ben Fault", "Cy Fault", "Di Fault", "Ed Fault"]
BBC = Path(os.environ.get("NEWSWIRE_BBC_CORPUS", SHARED_DIR / "corpora/bbc/bbc.ndjson"))
FIGURES: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, servers):
    if servers:
        pytest.skip("fault injection drives local redis-server/meilisearch processes")
    stack = start_stack(tmp_path_factory.mktemp("faults"), servers,
                        extra_env={"NEWSWIRE_RECLAIM_IDLE_MS": "2000",
                                   "NEWSWIRE_MAX_DELIVERIES": "3"})
    yield stack
    stack.stop()
    print("\nfault figures:", json.dumps(FIGURES, indent=1))


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    with BBC.open() as lines:
        return [json.loads(line) for line, _ in zip(lines, range(2000), strict=False)]


class Run:
    def __init__(self, stack: LocalStack, corpus: list[dict], name: str) -> None:
        self.stack, self.name = stack, name
        self.items = [{
            "title": a["title"], "text": a["text"][:1500], "author": AUTHORS[i % len(AUTHORS)],
            "url": f"https://example.org/{name}/{a['id']}",
        } for i, a in enumerate(corpus[:ARTICLES_PER_SCENARIO])]
        self.accepted: list[str] = []

    def post_all(self) -> None:
        with self.stack.ingest_client(timeout=60) as client:
            for start in range(0, len(self.items), 100):
                response = client.post("/v1/articles/batch", json=self.items[start:start + 100])
                assert response.status_code == 202, response.text
                self.accepted += [r["id"] for r in response.json()["results"]]


def meili(stack: LocalStack) -> httpx.Client:
    return httpx.Client(base_url=stack.cfg.meili_url, timeout=30,
                        headers={"Authorization": f"Bearer {stack.cfg.master_key()}"})


def indexed_ids(stack: LocalStack) -> list[str]:
    with meili(stack) as client:
        docs = client.get("/indexes/articles/documents",
                          params={"fields": "id", "limit": 100_000}).json()
    return [d["id"] for d in docs["results"]]


def pending_total(stack: LocalStack) -> int:
    client = redis.Redis.from_url(stack.cfg.redis_url)
    try:
        return sum(g["pending"] for s in (Stream.RAW, Stream.CLEAN, Stream.ENRICHED)
                   for g in client.xinfo_groups(s))
    finally:
        client.close()


def dead_letter_count(stack: LocalStack) -> int:
    client = redis.Redis.from_url(stack.cfg.redis_url)
    try:
        return client.xlen(Stream.DEAD)
    finally:
        client.close()


def settle_and_check(stack: LocalStack, run: Run, timeout: float = 240) -> None:
    wanted = set(run.accepted)
    eventually(lambda: wanted <= set(indexed_ids(stack)), timeout=timeout, interval=1)
    eventually(lambda: pending_total(stack) == 0, timeout=60, interval=1)
    ids = indexed_ids(stack)
    duplicated = sum(n - 1 for n in Counter(ids).values())
    assert duplicated == 0
    with meili(stack) as client:
        for author in AUTHORS:
            slug = author.lower().replace(" ", "-")
            stored = client.get(f"/indexes/authors/documents/{slug}").json()
            counted = client.post("/indexes/articles/search", json={
                "q": "", "limit": 0, "filter": f'author_ids = "{slug}"'}).json()
            assert stored["article_count"] == counted["estimatedTotalHits"], author
    FIGURES[run.name] = {"accepted": len(run.accepted), "indexed": len(wanted & set(ids)),
                         "duplicated": duplicated, "dead_lettered": dead_letter_count(stack)}


def supervisor_pid(stack: LocalStack, prefix: str) -> tuple[str, int]:
    name, info = next((n, p) for n, p in stack.processes().items() if n.startswith(prefix))
    return name, int(info["pid"])


def test_kill_9_each_worker_in_turn(fault_stack, corpus):
    run = Run(fault_stack, corpus, "kill9")
    run.post_all()
    for stage in ("clean", "enrich", "index"):
        name, pid = supervisor_pid(fault_stack, f"{stage}:")
        os.kill(pid, signal.SIGKILL)
        # supervisord restarts it: a new pid, running again.
        eventually(lambda name=name, pid=pid:
                   (info := fault_stack.processes()[name])["statename"] == "RUNNING"
                   and int(info["pid"]) != pid, timeout=60)
        time.sleep(1)
    settle_and_check(fault_stack, run)


def test_meilisearch_down_for_ten_seconds(fault_stack, corpus):
    run = Run(fault_stack, corpus[500:], "meili-down")
    run.post_all()
    rpc = fault_stack.rpc()
    rpc.supervisor.stopProcess("meilisearch:meilisearch")
    time.sleep(10)
    rpc.supervisor.startProcess("meilisearch:meilisearch")
    settle_and_check(fault_stack, run)


def test_redis_restart_with_aof(fault_stack, corpus):
    run = Run(fault_stack, corpus[1000:], "redis-restart")
    run.post_all()
    rpc = fault_stack.rpc()
    rpc.supervisor.stopProcess("redis:redis")
    time.sleep(2)
    rpc.supervisor.startProcess("redis:redis")
    settle_and_check(fault_stack, run)
    # Publishing works again without restarting anything.
    with fault_stack.ingest_client(timeout=30) as client:
        again = client.post("/v1/articles", json={"text": "After the Redis restart, the ingest "
                                                          "API accepts articles as before."})
        assert again.status_code == 202, again.text


def test_poison_in_each_stream_while_articles_flow(fault_stack, corpus):
    run = Run(fault_stack, corpus[1500:], "poison")
    before = dead_letter_count(fault_stack)
    client = redis.Redis.from_url(fault_stack.cfg.redis_url)
    try:
        run.post_all()
        for stream in (Stream.RAW, Stream.CLEAN, Stream.ENRICHED):
            client.xadd(stream, {"__data__": b"\x89BIN poison \xff"})
    finally:
        client.close()
    settle_and_check(fault_stack, run)
    assert dead_letter_count(fault_stack) == before + 3


def test_sigterm_stops_a_worker_cleanly(fault_stack):
    rpc = fault_stack.rpc()
    name, _ = supervisor_pid(fault_stack, "enrich:")
    rpc.supervisor.stopProcess(name)
    info = fault_stack.processes()[name]
    assert info["statename"] == "STOPPED" and info["exitstatus"] == 0, info
    rpc.supervisor.startProcess(name)
