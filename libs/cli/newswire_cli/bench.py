"""`newswire bench`: throughput, freshness and search latency of a stack started for the run.

Phases, against one throw-away LocalStack on free ports, started like `make run`:

1. back-fill: N articles POSTed as fast as the ingest API takes them from a bounded number of
   concurrent clients; accepted/s, and end to end until Meilisearch holds all of them.
   Right before and right after it, with the stack started but paused, the in-process baseline
   runs over the same N articles: clean -> enrich -> to_documents in one plain process per
   core, then one bulk load into a fresh Meilisearch; no Redis, no HTTP. The back-fill is
   compared to the mean of the two, so a drift of this machine's speed within a minute or two
   touches both sides of the ratio.
2. freshness: a steady rate for a while; for each article the time from POST to searchable
   (polled with a filtered search), split by the stage timestamps stored in the document.
3. search: varied queries from the corpus against /v1/search from 1 and 8 clients.

Peak RSS of every process (sampled) and CPU seconds per article per process over the back-fill
are recorded. Results: bench/results/<timestamp>.json and .png, and a table on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Self

import httpx
import typer

from .stack import (
    REPO_ROOT,
    LocalStack,
    StackConfig,
    free_port,
    meili_binary,
    replicas_option,
    wait_until,
)

DEFAULT_CORPUS = REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"
RESULTS_DIR = REPO_ROOT / "bench/results"
URL_BASE = "https://bench.newswire.test"


@dataclass
class BenchOptions:
    corpus: Path
    quick: bool = False
    copies: int = 3
    limit: int | None = None  # articles per copy (default: the whole corpus)
    concurrency: int = 16
    # A publisher back-filling an archive sends it in batches (POST /v1/articles/batch);
    # 0 posts one article per request, like a live feed.
    batch: int = 50
    fresh_rate: float = 20.0
    fresh_seconds: float = 60.0
    queries: int = 2000
    workers: int = 1
    #: Replicas of particular stages, overriding `workers` ({"enrich": 2}).
    replicas: dict[str, int] = field(default_factory=dict)
    baseline_processes: int = 2
    py_spy: bool = False
    out_dir: Path = RESULTS_DIR

    @classmethod
    def quick_defaults(cls, corpus: Path, **kw: Any) -> BenchOptions:
        # Sized so the whole run stays under three minutes on a 2-core machine.
        base = {"corpus": corpus, "quick": True, "copies": 1, "limit": 160,
                "fresh_seconds": 10.0, "queries": 200}
        return cls(**{**base, **kw})


# --- corpus and submissions (pure) -------------------------------------------------------

def load_corpus(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def submission(row: dict[str, str], tag: str) -> dict[str, Any]:
    """A plain-text post the way a scraper sends it: title line, blank line, story."""
    return {"text": f"{row['title']}\n\n{row['text']}", "title": row["title"],
            "url": f"{URL_BASE}/{row['category']}/{row['id']}-{tag}", "tags": [tag]}


def backfill_submissions(rows: list[dict[str, str]], copies: int) -> list[dict[str, Any]]:
    out = [submission(row, f"backfill-{copy}") for copy in range(copies) for row in rows]
    for item in out:  # a tag per copy is enough for back-fill; keep tags small
        item["tags"] = ["backfill"]
    return out


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "replace"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1:]


def make_queries(rows: list[dict[str, str]], count: int, seed: int = 8) -> list[dict[str, Any]]:
    """Words, phrases (quoted or not), typos and filtered queries drawn from the corpus."""
    rng = random.Random(seed)
    categories = sorted({r["category"] for r in rows})
    queries: list[dict[str, Any]] = []
    while len(queries) < count:
        row = rng.choice(rows)
        words = _WORD.findall(row["title"] + " " + row["text"][:1500])
        if len(words) < 4:
            continue
        kind = rng.choices(("word", "words", "phrase", "typo", "filtered"),
                           weights=(30, 25, 15, 15, 15))[0]
        start = rng.randrange(0, len(words) - 3)
        if kind == "word":
            q = {"q": words[start]}
        elif kind == "words":
            q = {"q": " ".join(rng.sample(words, 2))}
        elif kind == "phrase":
            phrase = " ".join(words[start:start + rng.choice((2, 3))])
            q = {"q": f'"{phrase}"' if rng.random() < 0.5 else phrase}
        elif kind == "typo":
            long_words = [w for w in words if len(w) >= 6] or words
            q = {"q": typo(rng.choice(long_words), rng)}
        else:
            q = {"q": words[start], "section": rng.choice(categories)}
        q["kind"] = kind
        queries.append(q)
    return queries


def summary_ms(latencies_s: list[float], wall_s: float) -> dict[str, Any]:
    ms = [x * 1000 for x in latencies_s]
    return {"count": len(ms), "p50_ms": _r(percentile(ms, 50)), "p95_ms": _r(percentile(ms, 95)),
            "p99_ms": _r(percentile(ms, 99)), "max_ms": _r(max(ms) if ms else None),
            "qps": _r(len(ms) / wall_s if wall_s else None)}


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- process sampling ---------------------------------------------------------------------

class ProcessWatch:
    """Peak RSS of the stack's processes, sampled in a thread; CPU time snapshots on demand."""

    def __init__(self, stack: LocalStack, interval: float = 0.25) -> None:
        import psutil

        self._psutil = psutil
        self.stack = stack
        self.interval = interval
        self.peak_rss: dict[str, int] = {}
        self.restarts: dict[str, int] = {}
        self._procs: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.refresh()
        self._procs["bench-client"] = psutil.Process()

    def refresh(self) -> None:
        for info in self.stack.processes().values():
            label = info["name"]  # redis, meilisearch, ingest, search, clean-<port>, …
            current = self._procs.get(label)
            if info.get("pid") and (current is None or current.pid != info["pid"]):
                if current is not None:
                    self.restarts[label] = self.restarts.get(label, 0) + 1
                self._procs[label] = self._psutil.Process(info["pid"])
        if self.stack.process is not None:
            self._procs.setdefault("supervisord", self._psutil.Process(self.stack.process.pid))

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self._procs.items()}

    def processes(self) -> dict[str, Any]:
        return dict(self._procs)

    def sample(self) -> None:
        for name, proc in list(self._procs.items()):
            try:
                rss = proc.memory_info().rss
            except self._psutil.Error:
                continue
            self.peak_rss[name] = max(self.peak_rss.get(name, 0), rss)

    def cpu_seconds(self) -> dict[str, float]:
        out = {}
        for name, proc in self._procs.items():
            try:
                t = proc.cpu_times()
                out[name] = t.user + t.system
            except self._psutil.Error:
                continue
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()


# --- clients --------------------------------------------------------------------------------

def meili_client(cfg: StackConfig) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {cfg.master_key()}", "Accept-Encoding": "identity"}
    return httpx.AsyncClient(base_url=cfg.meili_url or "", headers=headers, timeout=30)


def http_limits(concurrency: int) -> httpx.Limits:
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


async def pending_messages(cfg: StackConfig) -> dict[str, int]:
    """Unacknowledged entries per consumer group at the end: all should be zero."""
    import redis.asyncio as aioredis

    from newswire_common.streams import STAGES

    client = aioredis.from_url(cfg.redis_url or "")
    try:
        out = {}
        for stage, (stream, group, _) in STAGES.items():
            info = await client.xpending(str(stream), str(group))
            out[stage] = int(info["pending"])
        return out
    finally:
        await client.aclose()


async def wait_for_count(meili: httpx.AsyncClient, cfg: StackConfig, expected: int,
                         timeout_s: float) -> tuple[float | None, int, int]:
    """Poll Meilisearch until it holds `expected` documents; (time seen, count, dead letters).

    The poll shares the cores with the pipeline it times, so it keeps one Redis client and asks
    Meilisearch through aiohttp: ~0.4 ms of CPU per poll here, against ~3.3 ms with a new Redis
    connection and httpx each time (~0.1 ms per article of a back-fill at 10 polls/s)."""
    import aiohttp
    import orjson
    import redis.asyncio as aioredis

    deadline = time.perf_counter() + timeout_s
    count = dead = 0
    redis = aioredis.from_url(cfg.redis_url or "")
    headers = {"Authorization": meili.headers["authorization"], "Accept-Encoding": "identity"}
    async with aiohttp.ClientSession(str(meili.base_url), headers=headers) as session:
        async def documents() -> int:
            async with session.get("/indexes/articles/stats") as response:
                body = await response.read()
                return orjson.loads(body).get("numberOfDocuments", 0) if response.status == 200 else 0

        try:
            while time.perf_counter() < deadline:
                count = await documents()
                dead = int(await redis.xlen("articles.dead"))
                if count + dead >= expected:
                    return time.perf_counter(), count, dead
                await asyncio.sleep(0.1)
        finally:
            await redis.aclose()
    return None, count, dead


def ingest_headers(cfg: StackConfig) -> dict[str, str]:
    """The development publisher key the stack created at start."""
    key = (cfg.var_dir / "dev-publisher.key").read_text().strip()
    return {"Authorization": f"Bearer {key}"}


async def post_all(ingest_url: str, items: list[dict[str, Any]], concurrency: int,
                   batch: int, headers: dict[str, str] | None = None) -> tuple[int, int, float]:
    """POST every item from `concurrency` clients; (accepted, failed, seconds to last answer).

    aiohttp with orjson bodies, like the search phase's client: the load generator shares the
    2 cores with the pipeline it measures, so its own CPU per article should be small."""
    import aiohttp
    import orjson

    chunks = ([items[i:i + batch] for i in range(0, len(items), batch)] if batch
              else [[item] for item in items])
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)
    accepted = failed = 0
    session_headers = {"Content-Type": "application/json", **(headers or {})}
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(ingest_url, headers=session_headers, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def worker() -> None:
            nonlocal accepted, failed
            while not queue.empty():
                chunk = queue.get_nowait()
                if batch:
                    async with session.post("/v1/articles/batch",
                                            data=orjson.dumps(chunk)) as response:
                        body = (orjson.loads(await response.read())
                                if response.status in (202, 207, 422) else {})
                    accepted += body.get("accepted", 0)
                    failed += len(chunk) - body.get("accepted", 0)
                else:
                    async with session.post("/v1/articles", data=orjson.dumps(chunk[0])) as response:
                        await response.read()
                        ok = response.status == 202
                    accepted += ok
                    failed += not ok

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return accepted, failed, time.perf_counter() - start


# --- phases ---------------------------------------------------------------------------------

async def warm_up(cfg: StackConfig, rows: list[dict[str, str]]) -> None:
    """A few articles through the whole pipeline first: models load lazily on first use."""
    items = [submission(row, "warmup") for row in rows[:8]]
    async with meili_client(cfg) as meili:
        await post_all(cfg.ingest_url, items, 4, 0, ingest_headers(cfg))
        seen, count, dead = await wait_for_count(meili, cfg, len(items), 180)
        if seen is None:
            raise RuntimeError(f"warm-up: only {count} of {len(items)} indexed ({dead} dead)")


async def backfill(cfg: StackConfig, items: list[dict[str, Any]], opts: BenchOptions,
                   already: int) -> dict[str, Any]:
    async with meili_client(cfg) as meili:
        start = time.perf_counter()
        accepted, failed, post_s = await post_all(cfg.ingest_url, items, opts.concurrency,
                                                  opts.batch, ingest_headers(cfg))
        # Generous limit: the point is to measure a slow pipeline, not to give up on it.
        seen, count, dead = await wait_for_count(meili, cfg, already + accepted,
                                                 timeout_s=max(300.0, accepted / 2))
        end_s = (seen or time.perf_counter()) - start
        return {
            "articles": len(items), "accepted": accepted, "failed": failed,
            "mode": f"batch of {opts.batch}" if opts.batch else "single POST /v1/articles",
            "concurrency": opts.concurrency,
            "accept_seconds": _r(post_s), "accepted_per_s": _r(accepted / post_s, 1),
            "e2e_seconds": _r(end_s), "indexed": count - already, "dead_letters": dead,
            "complete": seen is not None,
            "e2e_articles_per_s": _r((count - already) / end_s, 1),
        }


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


async def freshness(cfg: StackConfig, rows: list[dict[str, str]], opts: BenchOptions) -> dict:
    """Open-loop posts at a fixed rate; a poller finds each one by its tag in a filtered search."""
    total = int(opts.fresh_rate * opts.fresh_seconds)
    rng = random.Random(20)
    run = f"{int(time.time())}"
    items = [submission(rng.choice(rows), f"fresh-{run}-{i}") for i in range(total)]
    sent: dict[str, float] = {}
    accepted_at: dict[str, float] = {}
    visible: dict[str, tuple[float, dict[str, Any]]] = {}
    pending: dict[str, None] = {}  # ordered: the oldest are polled first
    posting_done = asyncio.Event()

    async with httpx.AsyncClient(base_url=cfg.ingest_url, timeout=60,
                                 headers=ingest_headers(cfg),
                                 limits=http_limits(64)) as client, meili_client(cfg) as meili:
        async def post_one(item: dict[str, Any]) -> None:
            tag = item["tags"][0]
            sent[tag] = time.time()
            response = await client.post("/v1/articles", json=item)
            if response.status_code == 202:
                accepted_at[tag] = time.time()
                pending[tag] = None

        async def poller() -> None:
            fields = ["id", "tags", "received_at", "cleaned_at", "enriched_at", "indexed_at"]
            drain_deadline: float | None = None
            while True:
                if pending:
                    tags = list(pending)[:200]
                    quoted = ", ".join(f'"{t}"' for t in tags)
                    response = await meili.post("/indexes/articles/search", json={
                        "q": "", "filter": f"tags IN [{quoted}]", "limit": len(tags),
                        "attributesToRetrieve": fields})
                    now = time.time()
                    for hit in response.json().get("hits", []):
                        for tag in hit.get("tags", []):
                            if tag in pending:
                                del pending[tag]
                                visible[tag] = (now, hit)
                if posting_done.is_set():
                    drain_deadline = drain_deadline or time.monotonic() + max(60, total / 4)
                    if not pending or time.monotonic() > drain_deadline:
                        return
                await asyncio.sleep(0.02)

        poll_task = asyncio.create_task(poller())
        start = time.perf_counter()
        posts = []
        for i, item in enumerate(items):
            delay = start + i / opts.fresh_rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            posts.append(asyncio.create_task(post_one(item)))
        await asyncio.gather(*posts)
        posting_done.set()
        await poll_task

    totals, stages = [], {k: [] for k in ("post_to_received", "received_to_cleaned",
                                          "cleaned_to_enriched", "enriched_to_indexed",
                                          "indexed_to_searchable")}
    samples = []
    for tag, (seen_at, hit) in visible.items():
        t0 = sent[tag]
        rec, cln, enr, idx = (_ts(hit.get(k)) for k in
                              ("received_at", "cleaned_at", "enriched_at", "indexed_at"))
        totals.append(seen_at - t0)
        if None not in (rec, cln, enr, idx):
            for key, value in zip(stages, (rec - t0, cln - rec, enr - cln, idx - enr,
                                           seen_at - idx), strict=True):
                stages[key].append(value)
        samples.append({"post": t0, "searchable_s": seen_at - t0,
                        "accepted_s": accepted_at.get(tag, t0) - t0})
    return {
        "rate_per_s": opts.fresh_rate, "seconds": opts.fresh_seconds, "posted": total,
        "accepted": len(accepted_at), "searchable": len(visible),
        "missing": len(accepted_at) - len(visible),
        "p50_s": _r(percentile(totals, 50)), "p95_s": _r(percentile(totals, 95)),
        "p99_s": _r(percentile(totals, 99)), "max_s": _r(max(totals) if totals else None),
        "stage_p50_s": {k: _r(percentile(v, 50), 4) for k, v in stages.items()},
        "stage_p95_s": {k: _r(percentile(v, 95), 4) for k, v in stages.items()},
        "samples": samples,
    }


async def search_phase(cfg: StackConfig, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Every query goes to GET /v1/search as a reader's browser would send it (filtered ones
    with `section=`), from 1 and from 8 clients on keep-alive connections.

    The client is aiohttp: httpx spent ~2 ms of CPU per request on this machine, which the
    2-core box then charged to the latency being measured."""
    import aiohttp

    def params(q: dict[str, Any]) -> dict[str, str]:
        return {"q": q["q"], **({"section": q["section"]} if "section" in q else {})}

    async def run(clients: int) -> dict[str, Any]:
        latencies: list[float] = []
        errors = 0
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for q in queries:
            queue.put_nowait(q)
        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(cfg.search_url, connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=30)) as session:
            async def one_client() -> None:
                nonlocal errors
                while not queue.empty():
                    q = queue.get_nowait()
                    t = time.perf_counter()
                    async with session.get("/v1/search", params=params(q)) as response:
                        await response.read()
                        errors += response.status != 200
                    latencies.append(time.perf_counter() - t)

            for _ in range(5):  # warm the connections and Meilisearch's caches
                async with session.get("/v1/search", params={"q": "warm"}) as response:
                    await response.read()
            start = time.perf_counter()
            await asyncio.gather(*(one_client() for _ in range(clients)))
            wall = time.perf_counter() - start
        return {**summary_ms(latencies, wall), "errors": errors, "clients": clients}

    kinds: dict[str, int] = {}
    for q in queries:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    return {"queries": len(queries), "kinds": kinds,
            "one_client": await run(1), "eight_clients": await run(8)}


# --- in-process baseline ------------------------------------------------------------------

def _baseline_init() -> None:
    from newswire_enrich.core import detect_language

    detect_language("warm up the language models once per process")


def _baseline_one(item: dict[str, Any]) -> dict[str, Any] | None:
    """What ingest + clean + enrich + index do to one article, minus Redis and HTTP."""
    from newswire_clean.core import EmptyArticleError, clean_article
    from newswire_common.contracts import ArticleSubmission, RawArticle, utcnow
    from newswire_common.ids import article_id
    from newswire_enrich.core import enrich_article
    from newswire_enrich.dedup import dedup_text, signature
    from newswire_enrich.settings import get_enrich_settings
    from newswire_index.documents import to_documents

    near_duplicate_permutations = get_enrich_settings().dedup_num_perm

    sub = ArticleSubmission.model_validate(item)
    raw = RawArticle(article_id=article_id(sub.url, sub.content), trace_id="bench",
                     received_at=utcnow(), url=sub.url, title=sub.title, authors=sub.authors,
                     tags=sub.tags, text=sub.text, html=sub.html)
    try:
        cleaned = clean_article(raw)
    except EmptyArticleError:
        return None  # the pipeline dead-letters these; so does the baseline
    enriched = enrich_article(cleaned)
    # The enrich stage also signs every story for the near-duplicate lookup; a cron script
    # would too (its LSH lookup, in memory, costs next to nothing beside the signature).
    signature(dedup_text(enriched.title, enriched.body), near_duplicate_permutations)
    story, _authors = to_documents(enriched)
    story["indexed_at"] = utcnow().isoformat()
    return story


def inprocess_baseline(items: list[dict[str, Any]], processes: int, work_dir: Path) -> dict:
    from newswire_index.documents import ARTICLE_SETTINGS

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes, initializer=_baseline_init) as pool:
        pool.map(_baseline_one, items[:processes * 2])  # imports and models loaded first
        start = time.perf_counter()
        results = pool.map(_baseline_one, items, chunksize=16)
        python_s = time.perf_counter() - start
    docs = [doc for doc in results if doc is not None]

    port, key = free_port(), "bench-baseline-key-0123456789"
    data = work_dir / "baseline-meili"
    data.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [str(meili_binary()), "--db-path", str(data), "--http-addr", f"127.0.0.1:{port}",
         "--env", "development", "--no-analytics", "--max-indexing-threads", "2",
         "--max-indexing-memory", "1GiB", "--log-level", "WARN"],
        env={**os.environ, "MEILI_MASTER_KEY": key}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                          timeout=600) as meili:
            wait_until(lambda: _ok(meili, "/health"), 30, "baseline meilisearch did not start")

            def wait_task(uid: int) -> dict[str, Any]:
                while True:
                    task = meili.get(f"/tasks/{uid}").json()
                    if task["status"] in ("succeeded", "failed", "canceled"):
                        return task
                    time.sleep(0.02)

            wait_task(meili.post("/indexes", json={"uid": "articles",
                                                   "primaryKey": "id"}).json()["taskUid"])
            wait_task(meili.patch("/indexes/articles/settings",
                                  json=ARTICLE_SETTINGS).json()["taskUid"])
            load_start = time.perf_counter()
            task = wait_task(meili.post("/indexes/articles/documents", json=docs,
                                        params={"primaryKey": "id"}).json()["taskUid"])
            load_s = time.perf_counter() - load_start
            if task["status"] != "succeeded":
                raise RuntimeError(f"baseline bulk load failed: {task.get('error')}")
    finally:
        proc.terminate()
        proc.wait(30)
    total = python_s + load_s
    return {"articles": len(items), "rejected": len(items) - len(docs), "processes": processes, "python_seconds": _r(python_s),
            "python_articles_per_s": _r(len(items) / python_s, 1),
            "bulk_load_seconds": _r(load_s), "bulk_load_docs_per_s": _r(len(items) / load_s, 1),
            "articles_per_s": _r(len(items) / total, 1)}


def mean_baseline(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The baseline measured right before and right after the back-fill, as one figure:
    this machine's speed drifts within minutes, and a back-fill timed between two baseline
    runs is compared with their mean rather than with whichever minute one of them had."""
    def mean(key: str) -> float | None:
        return _r(sum(run[key] for run in runs) / len(runs), 1)

    return {"articles": runs[0]["articles"], "rejected": runs[0]["rejected"],
            "processes": runs[0]["processes"], "python_articles_per_s": mean("python_articles_per_s"),
            "bulk_load_docs_per_s": mean("bulk_load_docs_per_s"),
            "articles_per_s": mean("articles_per_s"), "runs": runs}


def wait_until_quiet(max_busy_cores: float = 0.2, window_s: float = 0.5,
                     timeout_s: float = 30.0) -> float:
    """Wait until this machine is nearly idle (what a back-fill leaves behind, such as Redis
    rewriting its AOF in a child process, would otherwise be charged to the next phase);
    returns the cores busy in the last window."""
    import psutil

    deadline = time.monotonic() + timeout_s
    while True:
        busy = psutil.cpu_percent(interval=window_s) / 100 * (os.cpu_count() or 1)
        if busy <= max_busy_cores or time.monotonic() > deadline:
            return _r(busy, 2) or 0.0


@contextlib.contextmanager
def stack_paused(watch: ProcessWatch) -> Iterator[None]:
    """SIGSTOP the stack's processes, then SIGCONT them: idle, they still take ~5% of a core
    (readers polling Redis, the index stage watching its upstream), which the baseline run
    meanwhile would otherwise be charged. Redis and Meilisearch go first on the way back, so a
    service's reply is waiting when its timers run again."""
    order = {"supervisord": 0, "redis": 2, "meilisearch": 2}
    procs = [proc for name, proc in sorted(watch.processes().items(),
                                           key=lambda item: order.get(item[0], 1))
             if name != "bench-client"]
    for proc in procs:
        proc.suspend()
    try:
        yield
    finally:
        for proc in reversed(procs):
            proc.resume()


def baseline_beside_paused_stack(watch: ProcessWatch, items: list[dict[str, Any]],
                                 processes: int, work_dir: Path) -> dict[str, Any]:
    """The in-process baseline, run while the stack is up but paused, and the CPU the stack
    took meanwhile (none, unless pausing failed)."""
    busy = wait_until_quiet()
    stack_before = watch.cpu_seconds()
    with stack_paused(watch):
        run = inprocess_baseline(items, processes, work_dir)
    stack_after = watch.cpu_seconds()
    run["machine_busy_cores_before"] = busy
    run["stack_cpu_seconds"] = _r(sum(
        end - stack_before[name] for name, end in stack_after.items()
        if name in stack_before and name != "bench-client"))  # bench-client ran the baseline
    shutil.rmtree(work_dir, ignore_errors=True)  # its Meilisearch data, ~0.1 GB per 6,675
    return run


def _ok(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path).status_code == 200
    except httpx.HTTPError:
        return False


# --- profiling ------------------------------------------------------------------------------

def start_py_spy(pids: dict[str, int], out_dir: Path, seconds: float) -> list[subprocess.Popen]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    procs = []
    for name, pid in pids.items():
        if stage_of(name) not in ("ingest", "clean", "enrich", "index"):
            continue
        procs.append(subprocess.Popen(
            [exe, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
             "--format", "raw", "--gil", "--output", str(out_dir / f"py-spy-{name}.txt"),
             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


#: The functions the in-process baseline runs too: time in them is the work itself.
SHARED_FUNCTIONS = frozenset({"clean_article", "enrich_article", "signature", "to_documents"})

#: Where the rest of a worker's Python time goes: the package of the innermost frame that is one
#: of these or newswire's own (py-spy shortens paths to the package: "redis/client.py").
PROFILE_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("validation", ("pydantic/", "pydantic_core/")),
    ("logging", ("structlog/", "newswire_common/logging.py", "logging/")),
    ("Redis client", ("redis/", "hiredis/")),
    ("FastStream", ("faststream/", "fast_depends/")),
    ("HTTP", ("uvicorn/", "starlette/", "fastapi/", "aiohttp/", "httpx/", "httpcore/",
              "h11/", "anyio/streams/")),
    ("metrics", ("prometheus_client/",)),
    ("event loop, threads", ("asyncio/", "anyio/", "uvloop/", "threading.py", "concurrent/",
                             "queue.py", "selectors.py")),
)


def profile_part(frames: list[str]) -> str:
    """The part of a worker a sampled stack (root first, "func (path:line)") is spent in."""
    names = [frame.split(" (", 1)[0] for frame in frames]
    if SHARED_FUNCTIONS.intersection(names):
        return "stage functions"
    for frame in reversed(frames):
        path = frame.rpartition(" (")[2]
        for part, packages in PROFILE_PARTS:
            if path.startswith(packages):
                return part
        if path.startswith("newswire_"):
            return "other newswire code"
    return "other"


def profile_breakdown(path: Path) -> dict[str, Any]:
    """Shares (%) of a py-spy raw file's samples per `profile_part`. The bench records with
    --gil, so a sample is Python code running (or C code called while holding the GIL)."""
    parts: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("thread (", "process "))]
        part = profile_part(frames)
        parts[part] = parts.get(part, 0) + int(count)
        total += int(count)
    return {"samples": total, "pct": {
        part: round(100 * n / total, 1)
        for part, n in sorted(parts.items(), key=lambda kv: -kv[1])} if total else {}}


# --- results --------------------------------------------------------------------------------

def stage_of(process: str) -> str:
    return process.rsplit("-", 1)[0] if re.search(r"-\d+$", process) else process


def cpu_per_article(before: dict[str, float], after: dict[str, float], articles: int) -> dict:
    per_stage: dict[str, float] = {}
    for name, end in after.items():
        if name in before and articles:
            stage = stage_of(name)
            per_stage[stage] = per_stage.get(stage, 0.0) + (end - before[name])
    return {stage: round(seconds * 1000 / articles, 3) for stage, seconds in per_stage.items()}


TARGETS = [
    ("back-fill e2e >= 200 articles/s", lambda r: r["backfill"]["e2e_articles_per_s"] >= 200),
    ("back-fill e2e >= 0.8 x in-process", lambda r: (r["backfill"]["ratio_to_inprocess"] or 0) >= 0.8),
    ("freshness p50 <= 0.5 s", lambda r: (r["freshness"]["p50_s"] or 1e9) <= 0.5),
    ("freshness p99 <= 1.5 s", lambda r: (r["freshness"]["p99_s"] or 1e9) <= 1.5
     and r["freshness"]["missing"] == 0),
    ("search 1 client p50 <= 5 ms", lambda r: r["search"]["one_client"]["p50_ms"] <= 5),
    ("search 1 client p99 <= 15 ms", lambda r: r["search"]["one_client"]["p99_ms"] <= 15),
    ("each Python service <= 200 MB RSS", lambda r: all(
        v <= 200 for k, v in r["rss_mb"].items()
        if stage_of(k) in ("ingest", "clean", "enrich", "index", "search"))),
]


def render_table(result: dict[str, Any]) -> str:
    b, f, s = result["backfill"], result["freshness"], result["search"]
    lines = [
        (f"Newswire bench {'(QUICK) ' if result['options']['quick'] else ''}"
        f"{result['started_at']}  commit {result.get('commit', '?')}"),
        f"back-fill  {b['accepted']} articles, {b['mode']}, {b['concurrency']} clients",
        f"  accepted/s            {b['accepted_per_s']:>10}",
        (f"  end-to-end/s          {b['e2e_articles_per_s']:>10}   ({b['e2e_seconds']} s,"
        f" complete={b['complete']}, dead={b['dead_letters']})"),
        (f"  in-process/s          {b['inprocess_articles_per_s']:>10}   (python "
        f"{result['baseline']['python_articles_per_s']}/s on {result['baseline']['processes']}"
        f" procs, bulk load {result['baseline']['bulk_load_docs_per_s']} docs/s; mean of "
        f"{' and '.join(str(r['articles_per_s']) for r in result['baseline'].get('runs', []))}"
        f" right before and after it)"),
        f"  ratio to in-process   {b['ratio_to_inprocess']:>10}",
        (f"freshness  {f['rate_per_s']}/s for {f['seconds']} s: {f['searchable']}/{f['posted']}"
        f" searchable"),
        f"  p50/p95/p99 s         {f['p50_s']} / {f['p95_s']} / {f['p99_s']}  (max {f['max_s']})",
        "  stage p50 s           " + ", ".join(f"{k}={v}" for k, v in f["stage_p50_s"].items()),
        "search     (ms)          p50      p95      p99      qps",
    ]
    for label, key in (("1 client", "one_client"), ("8 clients", "eight_clients")):
        x = s[key]
        lines.append(f"  {label:<20}{x['p50_ms']:>8}{x['p95_ms']:>9}{x['p99_ms']:>9}"
                     f"{x['qps']:>9}   ({x['count']} q, {x['errors']} errors)")
    lines.append("peak RSS MB            " + ", ".join(
        f"{k}={v}" for k, v in sorted(result["rss_mb"].items())))
    lines.append("CPU ms/article (back-fill) " + ", ".join(
        f"{k}={v}" for k, v in sorted(result["cpu_ms_per_article"].items(),
                                      key=lambda kv: -kv[1])))
    if result.get("profile"):
        lines.append("Python time by part in the back-fill, % of py-spy --gil samples")
        for process, profile in sorted(result["profile"].items()):
            lines.append(f"  {process:<14}" + ", ".join(
                f"{part} {pct}" for part, pct in profile["pct"].items()))
    lines.append(f"CPU-bound ceiling on {result['machine']['cpus']} idle cores: "
                 f"{result.get('cpu_bound_articles_per_s')} articles/s;  load average "
                 f"start {result['machine']['loadavg_start'][0]:.1f}, "
                 f"end {result['machine']['loadavg_end'][0]:.1f}")
    lines.append(f"pending (unacked) after the run: {result.get('pending_after')}; "
                 f"restarts: {result.get('restarts') or 'none'}")
    lines.append("targets")
    for name, ok in result["targets"].items():
        lines.append(f"  [{'met' if ok else 'MISSED':>6}] {name}")
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    values = sorted(x["searchable_s"] for x in result["freshness"]["samples"])
    if values:
        left.hist(values, bins=40, color="#3b6ea5")
        for pct, style in ((50, "-"), (95, "--"), (99, ":")):
            v = percentile(values, pct)
            left.axvline(v, color="black", linestyle=style, label=f"p{pct} {v:.2f} s")
        left.legend()
    left.set_title(f"freshness at {result['freshness']['rate_per_s']}/s: POST -> searchable")
    left.set_xlabel("seconds")
    left.set_ylabel("articles")
    cpu = sorted(result["cpu_ms_per_article"].items(), key=lambda kv: -kv[1])
    right.barh([k for k, _ in cpu], [v for _, v in cpu], color="#a5563b")
    right.invert_yaxis()
    right.set_title("CPU ms per article during back-fill")
    right.set_xlabel("ms")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


# --- orchestration --------------------------------------------------------------------------

def run_bench(opts: BenchOptions, echo: Any = print) -> dict[str, Any]:
    rows = load_corpus(opts.corpus)
    if opts.limit:
        rows = rows[:opts.limit]
    items = backfill_submissions(rows, opts.copies)
    started = datetime.now().astimezone()
    result: dict[str, Any] = {"started_at": started.isoformat(timespec="seconds"),
                              "commit": git_commit(), "options": {
                                  k: str(v) if isinstance(v, Path) else v
                                  for k, v in asdict(opts).items()},
                              "machine": {"cpus": os.cpu_count(),
                                          "loadavg_start": os.getloadavg()}}
    work = Path(tempfile.mkdtemp(prefix="newswire-bench-"))
    try:
        cfg = StackConfig.on_free_ports(work / "stack", workers=opts.workers,
                                        stage_workers=opts.replicas, log_format="json")
        log_path = work / "stack.log"
        with open(log_path, "wb") as log:
            stack = LocalStack(cfg, output=log.fileno())
            echo(f"[bench] starting the stack in {cfg.var_dir} (log {log_path}) …")
            with stack:
                result["commit"] = git_commit()  # the services run the code checked out now
                with ProcessWatch(stack) as watch:
                    asyncio.run(warm_up(cfg, rows))
                    watch.refresh()
                    echo(f"[bench] processes: {watch.pids()}")
                    baselines: list[dict[str, Any]] = []

                    def baseline(label: str) -> None:
                        echo(f"[bench] in-process baseline ({label}): {len(items)} articles on "
                             f"{opts.baseline_processes} processes, the stack paused …")
                        baselines.append(baseline_beside_paused_stack(
                            watch, items, opts.baseline_processes, work / f"baseline-{label}"))
                        echo(f"[bench]   {baselines[-1]}")

                    baseline("before")
                    wait_until_quiet()
                    before = watch.cpu_seconds()
                    spies = []
                    if opts.py_spy:
                        spies = start_py_spy(watch.pids(), work, 10 ** 4)
                        echo(f"[bench] py-spy recording {len(spies)} processes into {work}")
                    echo(f"[bench] back-fill: {len(items)} articles …")
                    bf = asyncio.run(backfill(cfg, items, opts, already=8))
                    after = watch.cpu_seconds()
                    for spy in spies:
                        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
                    for spy in spies:
                        spy.wait(30)
                    echo(f"[bench]   {bf}")
                    result["backfill"] = bf
                    result["cpu_ms_per_article"] = cpu_per_article(before, after, bf["indexed"])
                    baseline("after")
                    result["baseline"] = mean_baseline(baselines)
                    bf["inprocess_articles_per_s"] = result["baseline"]["articles_per_s"]
                    bf["ratio_to_inprocess"] = _r(bf["e2e_articles_per_s"]
                                                  / result["baseline"]["articles_per_s"])
                    echo(f"[bench] freshness: {opts.fresh_rate}/s for {opts.fresh_seconds} s …")
                    result["freshness"] = asyncio.run(freshness(cfg, rows, opts))
                    echo(f"[bench] search: {opts.queries} queries …")
                    result["search"] = asyncio.run(search_phase(
                        cfg, make_queries(rows, opts.queries)))
                    result["pending_after"] = asyncio.run(pending_messages(cfg))
                    watch.refresh()
                result["rss_mb"] = {k: round(v / 2 ** 20, 1) for k, v in watch.peak_rss.items()}
                result["restarts"] = watch.restarts
        if opts.py_spy:
            files = sorted(work.glob("py-spy-*.txt"))
            result["py_spy_files"] = [str(p) for p in files]
            result["profile"] = {p.stem.removeprefix("py-spy-"): profile_breakdown(p)
                                 for p in files}
    finally:
        # With --py-spy the profiles (and the stack's log) stay; the data dirs (~150 MB) go.
        for part in ([work / "stack", work / "baseline-before", work / "baseline-after"]
                     if opts.py_spy else [work]):
            shutil.rmtree(part, ignore_errors=True)
    # Other engineers' stacks share this machine: the load average says how contended it was.
    result["machine"]["loadavg_end"] = os.getloadavg()
    cpu_total = sum(v for k, v in result.get("cpu_ms_per_article", {}).items()
                    if k not in ("bench-client", "supervisord", "search"))
    # What the measured CPU cost allows on idle cores, independent of other load here.
    result["cpu_bound_articles_per_s"] = _r(1000 * (os.cpu_count() or 1) / cpu_total, 1) \
        if cpu_total else None
    result["targets"] = {}
    for name, check in TARGETS:
        try:
            result["targets"][name] = bool(check(result))
        except (KeyError, TypeError):
            result["targets"][name] = False
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y%m%dT%H%M%S") + ("-quick" if opts.quick else "")
    json_path = opts.out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(result, indent=2))
    plot(result, opts.out_dir / f"{stem}.png")
    result["files"] = {"json": str(json_path), "png": str(opts.out_dir / f"{stem}.png")}
    return result


def bench(
    quick: Annotated[bool, typer.Option("--quick", help="small run, under 3 minutes")] = False,
    corpus: Annotated[Path, typer.Option(envvar="NEWSWIRE_BBC_CORPUS",
                                         help="BBC NDJSON (id, category, title, text)")]
    = DEFAULT_CORPUS,
    copies: Annotated[int | None, typer.Option(help="copies of the corpus (distinct URLs)")]
    = None,
    limit: Annotated[int | None, typer.Option(help="articles per copy")] = None,
    concurrency: Annotated[int, typer.Option(help="concurrent back-fill clients")] = 16,
    batch: Annotated[int, typer.Option(
        help="back-fill through /v1/articles/batch with this many per request (0: one POST "
             "/v1/articles per article)")] = 50,
    fresh_rate: Annotated[float, typer.Option(help="articles/s in the freshness phase")] = 20.0,
    fresh_seconds: Annotated[float | None, typer.Option(help="freshness phase length")] = None,
    queries: Annotated[int | None, typer.Option(help="search queries per client setup")]
    = None,
    workers: Annotated[int, typer.Option(help="replicas of each stream worker")] = 1,
    replicas: Annotated[list[str] | None, typer.Option(
        help="replicas of one stage: STAGE=N (repeatable); by default enrich runs "
             "2 x --workers, the other stages --workers")] = None,
    py_spy: Annotated[bool, typer.Option("--py-spy", help="profile workers during back-fill")]
    = False,
) -> None:
    """Benchmark a fresh local stack: back-fill, freshness, search, memory and CPU per stage."""
    given = {k: v for k, v in {"copies": copies, "limit": limit, "fresh_seconds": fresh_seconds,
                                   "queries": queries}.items() if v is not None}
    common = dict(concurrency=concurrency, batch=batch, fresh_rate=fresh_rate, workers=workers,
                  replicas=replicas_option(workers, replicas), py_spy=py_spy, **given)
    opts = (BenchOptions.quick_defaults(corpus, **common) if quick
            else BenchOptions(corpus=corpus, **common))
    if not opts.corpus.exists():
        raise typer.BadParameter(f"corpus not found: {opts.corpus}")
    result = run_bench(opts, echo=lambda m: typer.echo(m, err=True))
    typer.echo(render_table(result))
    typer.echo(f"results: {result['files']['json']}  plot: {result['files']['png']}")
    if opts.py_spy:
        typer.echo("py-spy: " + " ".join(result.get("py_spy_files", [])))
