"""Scale-out on one host: three replicas of every stream worker share the work, and each of
1,000 distinct articles ends up in Meilisearch exactly once.

Runs its own LocalStack (workers=3, free ports, JSON logs) next to the session stack. The
replicas log which one handled each article (`replica`, their Redis consumer name), which is
how the test sees the work was shared; Redis' XINFO CONSUMERS shows the same consumers.
"""

import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest
import redis

from newswire_cli.stack import REPO_ROOT, WORKER_STAGES, LocalStack, StackConfig
from newswire_common.streams import ARTICLES_INDEX, STAGES, Stream
from support import eventually

pytestmark = pytest.mark.integration

BBC_CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                                 REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
ARTICLES = 1_000
REPLICAS = 3
CHUNK = 100
#: Log event each stage writes once per handled article.
HANDLED_EVENT = {"clean": "article cleaned", "enrich": "article enriched", "index": "article indexed"}


def short_articles(count: int) -> list[dict]:
    """`count` distinct BBC stories, cut to their first paragraphs, each with its own URL."""
    if not BBC_CORPUS.exists():
        pytest.skip(f"BBC corpus not found at {BBC_CORPUS} (set NEWSWIRE_BBC_CORPUS)")
    articles, seen_texts, seen_titles = [], set(), set()
    for line in BBC_CORPUS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        paragraphs = [p.strip() for p in item["text"].split("\n\n") if p.strip()]
        text = "\n\n".join(paragraphs[:3])[:1500]
        # The corpus repeats some stories; duplicates would (rightly) share an id or be merged.
        if text in seen_texts or item["title"] in seen_titles or len(text.split()) < 30:
            continue
        seen_texts.add(text)
        seen_titles.add(item["title"])
        articles.append({"url": f"https://news.example.org/{item['category']}/{item['id']}",
                         "title": item["title"], "text": text, "section": item["category"]})
        if len(articles) == count:
            return articles
    pytest.skip(f"only {len(articles)} distinct stories in {BBC_CORPUS}")


@pytest.fixture(scope="module")
def scaled_stack(tmp_path_factory, servers):
    tmp = tmp_path_factory.mktemp("scale-out")
    # Production reclaim delay: a slow replica's messages are not handed to another replica
    # mid-run, so duplicates in Meilisearch could only come from a real bug.
    cfg = StackConfig.on_free_ports(tmp, workers=REPLICAS, log_format="json",
                                    extra_env={"NEWSWIRE_RECLAIM_IDLE_MS": "30000"}, **servers)
    log = open(tmp / "stack.log", "wb")  # noqa: SIM115 - kept open for the stack's life
    running = LocalStack(cfg, output=log.fileno())
    running.start()
    try:
        # 14 processes importing their libraries on 2 shared cores can take over a minute.
        running.wait_ready(timeout=300)
        yield running
    finally:
        running.stop()
        log.close()


def post_all(stack: LocalStack, articles: list[dict]) -> list[str]:
    accepted: list[str] = []
    with stack.ingest_client(timeout=60) as client:
        for start in range(0, len(articles), CHUNK):
            response = client.post("/v1/articles/batch", json=articles[start:start + CHUNK])
            assert response.status_code == 202, response.text[:2000]
            accepted += [r["id"] for r in response.json()["results"]]
    return accepted


def pipeline_drained(r: redis.Redis) -> bool:
    for stage in WORKER_STAGES:
        stream, group, _ = STAGES[stage]
        info = {g["name"].decode(): g for g in r.xinfo_groups(stream)}
        if group not in info or info[group]["pending"] or info[group].get("lag"):
            return False
    return True


def handled_by_replica(log_file: Path) -> dict[str, dict[str, list[str]]]:
    """stage -> replica -> article ids (one per handling), from the stack's JSON log lines."""
    handled: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    events = {event: stage for stage, event in HANDLED_EVENT.items()}
    for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by the process manager's merging; sharing needs no exact count
        stage = events.get(entry.get("event"))
        if stage and entry.get("service") == stage and entry.get("replica"):
            handled[stage][entry["replica"]].append(entry.get("article_id"))
    return handled


@pytest.mark.timeout(900)
def test_three_replicas_share_the_work_and_index_every_article_once(scaled_stack: LocalStack):
    cfg = scaled_stack.cfg
    articles = short_articles(ARTICLES)
    started = time.monotonic()
    accepted = post_all(scaled_stack, articles)
    posted = time.monotonic() - started
    assert len(accepted) == ARTICLES and len(set(accepted)) == ARTICLES

    headers = {"Authorization": f"Bearer {cfg.master_key()}"}
    r = redis.Redis.from_url(cfg.redis_url)
    with httpx.Client(base_url=cfg.meili_url, headers=headers, timeout=30) as meili:
        def indexed() -> int:
            response = meili.get(f"/indexes/{ARTICLES_INDEX}/stats")
            return response.json()["numberOfDocuments"] if response.status_code == 200 else 0

        eventually(lambda: indexed() >= ARTICLES and pipeline_drained(r), timeout=300,
                   interval=1.0)
        elapsed = time.monotonic() - started
        # Let any straggling (duplicate) delivery land before counting.
        time.sleep(2)
        documents = meili.get(f"/indexes/{ARTICLES_INDEX}/documents",
                              params={"fields": "id", "limit": ARTICLES * 2}).json()

    ids = [d["id"] for d in documents["results"]]
    assert documents["total"] == ARTICLES
    assert len(ids) == len(set(ids)) == ARTICLES
    assert set(ids) == set(accepted)
    assert r.xlen(Stream.DEAD) == 0, "articles were dead-lettered"

    handled = handled_by_replica(cfg.var_dir / "stack.log")
    shares = {stage: {replica: len(ids) for replica, ids in handled[stage].items()}
              for stage in WORKER_STAGES}
    print(f"\n{ARTICLES} articles posted in {posted:.1f}s, indexed in {elapsed:.1f}s; "
          f"articles per replica: {shares}")
    for stage in WORKER_STAGES:
        assert len(shares[stage]) == REPLICAS, (stage, shares[stage])
        assert all(count > 0 for count in shares[stage].values()), (stage, shares[stage])
        handlings = [aid for ids in handled[stage].values() for aid in ids]
        seen = set(handlings)
        # Nothing crashed and no message waited 30 s, so no stage should redo an article.
        redone = Counter(handlings) - Counter(seen)
        assert not redone, (stage, f"{sum(redone.values())} articles handled more than once")
        # Every article passed through the stage (a few log lines may be cut by merging).
        assert len(seen & set(accepted)) >= 0.98 * ARTICLES, (stage, len(seen))
        stream, group, _ = STAGES[stage]
        consumers = {c["name"].decode() for c in r.xinfo_consumers(stream, group)}
        # A replica with several readers (index) reads as `<stage>-<replica>` and `….1`, `….2`…;
        # a reader that never got an entry need not be listed.
        for replica in shares[stage]:
            own = f"{stage}-{replica}"
            assert any(c == own or c.startswith(f"{own}.") for c in consumers), (own, consumers)
