"""Per-replica throughput of each stage on this machine, for deploy/README.md's capacity note.

    .venv/bin/python deploy/capacity.py [--articles 300] [--index-docs 2000]

clean and enrich: the pure cores (`clean_article`, `enrich_article`) on BBC stories, one at a
time in this process, as one worker replica runs them (one thread of CPU work per replica).
Reports wall time and CPU time per article; CPU time is what matters when the host is shared.
index: Meilisearch (the pinned binary, its own process on a free port, --max-indexing-threads 2)
bulk-indexing the enriched stories in batches of NEWSWIRE_INDEX_BATCH_SIZE, timed by the
duration Meilisearch reports for its tasks.
"""

import argparse
import gzip
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import redis
from newswire_clean.core import EmptyArticleError, clean_article
from newswire_cli.stack import REPO_ROOT, free_port, meili_binary, wait_until
from newswire_common.contracts import CleanArticle, RawArticle
from newswire_enrich.core import enrich_article
from newswire_index.documents import ARTICLE_SETTINGS, to_documents

BBC_CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                                 REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
HTML_DIR = Path(os.environ.get("NEWSWIRE_HTML_DIR",
                               REPO_ROOT.parent / "shared/extraction/dev/html"))


def html_articles() -> list[RawArticle]:
    now = datetime.now(UTC)
    return [RawArticle(article_id=f"html-{i}", trace_id=f"html-{i}", received_at=now,
                       url=f"https://news.example.org/page-{i}",
                       html=gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
            for i, path in enumerate(sorted(HTML_DIR.glob("*.html.gz")))]


def redis_bytes_per_article(messages: dict[str, list[bytes]]) -> dict[str, int]:
    """Memory one article's entry takes in each stream (streams are not trimmed)."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port),
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = redis.Redis(port=port)
        wait_until(lambda: _redis_up(r), 10, "redis-server did not start")
        sizes = {}
        for stream, payloads in messages.items():
            for payload in payloads:
                r.xadd(stream, {"__data__": payload})
            sizes[stream] = r.memory_usage(stream) // len(payloads)
        return sizes
    finally:
        proc.terminate()
        proc.wait(10)


def _redis_up(r: "redis.Redis") -> bool:
    try:
        return bool(r.ping())
    except redis.RedisError:
        return False


def raw_articles(count: int) -> list[RawArticle]:
    lines = BBC_CORPUS.read_text(encoding="utf-8").splitlines()[:count]
    now = datetime.now(UTC)
    return [RawArticle(article_id=f"bench-{i}", trace_id=f"bench-{i}", received_at=now,
                       url=f"https://news.example.org/{item['category']}/{item['id']}",
                       title=item["title"], text=item["text"])
            for i, item in enumerate(map(json.loads, lines))]


def clean_or_none(raw: RawArticle) -> CleanArticle | None:
    try:
        return clean_article(raw)
    except EmptyArticleError:  # a page with no story still costs its extraction time
        return None


def timed(fn, items: list) -> tuple[list, float, float]:
    for item in items[:5]:  # warm-up: model loading, imports
        fn(item)
    wall, cpu = time.perf_counter(), time.process_time()
    out = [fn(item) for item in items]
    return out, time.perf_counter() - wall, time.process_time() - cpu


def iso_duration_s(value: str) -> float:
    match = re.fullmatch(r"PT(?:(\d+)M)?([\d.]+)S", value)
    assert match, value
    return int(match.group(1) or 0) * 60 + float(match.group(2))


def meili_docs_per_s(documents: list[dict], batch: int) -> dict:
    key = secrets.token_urlsafe(24)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [str(meili_binary()), "--db-path", f"{tmp}/meili", "--http-addr", f"127.0.0.1:{port}",
             "--env", "development", "--no-analytics", "--max-indexing-threads", "2",
             "--max-indexing-memory", "1GiB", "--log-level", "WARN"],
            env={**os.environ, "MEILI_MASTER_KEY": key},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                  headers={"Authorization": f"Bearer {key}"}, timeout=60)
            wait_until(lambda: _ok(client), 30, "meilisearch did not start")

            def wait(uid: int) -> dict:
                while (task := client.get(f"/tasks/{uid}").json())["status"] in ("enqueued", "processing"):
                    time.sleep(0.05)
                assert task["status"] == "succeeded", task
                return task

            wait(client.post("/indexes", json={"uid": "articles", "primaryKey": "id"}).json()["taskUid"])
            wait(client.patch("/indexes/articles/settings", json=ARTICLE_SETTINGS).json()["taskUid"])
            start = time.perf_counter()
            uids = [client.post("/indexes/articles/documents", json=documents[i:i + batch])
                    .json()["taskUid"] for i in range(0, len(documents), batch)]
            tasks = [wait(uid) for uid in uids]
            wall = time.perf_counter() - start
            # Meilisearch batches enqueued tasks together; each task reports its batch's time.
            busy = sum({t.get("batchUid", t["uid"]): iso_duration_s(t["duration"])
                        for t in tasks}.values())
            count = client.get("/indexes/articles/stats").json()["numberOfDocuments"]
            return {"documents": count, "batch": batch, "wall_s": round(wall, 2),
                    "meili_task_s": round(busy, 2), "docs_per_s_busy": round(count / busy, 1),
                    "docs_per_s_wall": round(count / wall, 1)}
        finally:
            proc.terminate()
            proc.wait(20)


def _ok(client: httpx.Client) -> bool:
    try:
        return client.get("/health").status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--index-docs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()

    raws = raw_articles(max(args.articles, 10))
    cleaned, clean_wall, clean_cpu = timed(clean_article, raws)
    pages = html_articles()
    _, html_wall, html_cpu = timed(clean_or_none, pages) if pages else ([], 0.0, 0.0)
    enriched, enrich_wall, enrich_cpu = timed(enrich_article, cleaned)
    stories = [to_documents(e)[0] for e in enriched]
    # Repeat the stories under new ids up to --index-docs: indexing cost is per document.
    documents = [{**stories[i % len(stories)], "id": f"doc-{i}"} for i in range(args.index_docs)]
    meili = meili_docs_per_s(documents, args.batch)
    redis_bytes = redis_bytes_per_article({
        "articles.raw (BBC text)": [r.model_dump_json().encode() for r in raws],
        "articles.raw (HTML pages)": [p.model_dump_json().encode() for p in pages] or [b"{}"],
        "articles.clean": [c.model_dump_json().encode() for c in cleaned],
        "articles.enriched": [e.model_dump_json().encode() for e in enriched],
    })

    commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], check=False,
                            capture_output=True, text=True).stdout.strip()
    n = len(raws)
    report = {
        "commit": commit, "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "python": sys.version.split()[0], "articles": n,
        "avg_words": round(sum(len(c.body.split()) for c in cleaned) / n),
        "clean": {"ms_wall": round(1000 * clean_wall / n, 2), "ms_cpu": round(1000 * clean_cpu / n, 2),
                  "per_s_per_replica_cpu": round(n / clean_cpu, 1)},
        "clean_html": {"pages": len(pages), "ms_wall": round(1000 * html_wall / max(len(pages), 1), 2),
                       "ms_cpu": round(1000 * html_cpu / max(len(pages), 1), 2),
                       "per_s_per_replica_cpu": round(len(pages) / html_cpu, 1) if html_cpu else None},
        "enrich": {"ms_wall": round(1000 * enrich_wall / n, 2), "ms_cpu": round(1000 * enrich_cpu / n, 2),
                   "per_s_per_replica_cpu": round(n / enrich_cpu, 1)},
        "meilisearch": meili,
        "redis_bytes_per_article": redis_bytes,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
