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
from newswire_clean.core import clean_article
from newswire_cli.stack import REPO_ROOT, free_port, meili_binary, wait_until
from newswire_common.contracts import RawArticle
from newswire_enrich.core import enrich_article
from newswire_index.documents import ARTICLE_SETTINGS, to_documents

BBC_CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                                 REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))


def raw_articles(count: int) -> list[RawArticle]:
    lines = BBC_CORPUS.read_text(encoding="utf-8").splitlines()[:count]
    now = datetime.now(UTC)
    return [RawArticle(article_id=f"bench-{i}", trace_id=f"bench-{i}", received_at=now,
                       url=f"https://news.example.org/{item['category']}/{item['id']}",
                       title=item["title"], text=item["text"])
            for i, item in enumerate(map(json.loads, lines))]


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
            busy = sum(iso_duration_s(t["duration"]) for t in tasks)
            count = client.get("/indexes/articles/stats").json()["numberOfDocuments"]
            return {"documents": count, "batch": batch, "wall_s": round(wall, 2),
                    "meili_task_s": round(busy, 2), "docs_per_s": round(count / busy, 1)}
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
    enriched, enrich_wall, enrich_cpu = timed(enrich_article, cleaned)
    stories = [to_documents(e)[0] for e in enriched]
    # Repeat the stories under new ids up to --index-docs: indexing cost is per document.
    documents = [{**stories[i % len(stories)], "id": f"doc-{i}"} for i in range(args.index_docs)]
    meili = meili_docs_per_s(documents, args.batch)

    commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], check=False,
                            capture_output=True, text=True).stdout.strip()
    n = len(raws)
    report = {
        "commit": commit, "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "python": sys.version.split()[0], "articles": n,
        "avg_words": round(sum(len(c.body.split()) for c in cleaned) / n),
        "clean": {"ms_wall": round(1000 * clean_wall / n, 2), "ms_cpu": round(1000 * clean_cpu / n, 2),
                  "per_s_per_replica_cpu": round(n / clean_cpu, 1)},
        "enrich": {"ms_wall": round(1000 * enrich_wall / n, 2), "ms_cpu": round(1000 * enrich_cpu / n, 2),
                   "per_s_per_replica_cpu": round(n / enrich_cpu, 1)},
        "meilisearch": meili,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
