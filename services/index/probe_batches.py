"""What a document batch costs Meilisearch, by batch size and index settings.

    .venv/bin/python services/index/probe_batches.py [--base 8900] [--sizes 1,5,20,100,500]
        [--variant NAME ...] [--trace]

Starts a throw-away Meilisearch on a free 127.0.0.1 port for each settings variant, bulk-loads
`--base` BBC documents (built by the real clean/enrich/document functions; copies get new ids),
then adds batches of each size one at a time and reports Meilisearch's own task duration, the
wall time until the task succeeded, and the CPU seconds the Meilisearch process used per batch
and per document. `--trace` prints the slowest steps of Meilisearch's progress trace.

Why: the pipeline's freshness is bounded by how long a small batch takes to index into a full
index, and its back-fill CPU by the fixed cost every batch pays.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from newswire_cli.stack import REPO_ROOT, free_port, meili_binary
from newswire_index.documents import ARTICLE_SETTINGS

CACHE = Path(tempfile.gettempdir()) / "newswire-probe-docs.json"
CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                             REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
KEY = "probe-master-key-0123456789"

#: Settings changes to compare with the service's own ARTICLE_SETTINGS.
VARIANTS: dict[str, dict[str, Any]] = {
    "as-is": {},
    "no-facet-search": {"facetSearch": False},
    "no-prefix": {"prefixSearch": "disabled"},
    "no-facet-search+no-prefix": {"facetSearch": False, "prefixSearch": "disabled"},
    "searchable-no-summary": {"searchableAttributes": [
        a for a in ARTICLE_SETTINGS["searchableAttributes"] if a != "summary"]},
}


def documents() -> list[dict[str, Any]]:
    """Story documents of the BBC corpus, cached between runs (building them takes ~20 s)."""
    if CACHE.exists():
        return json.loads(CACHE.read_text())
    from newswire_clean.core import EmptyArticleError, clean_article
    from newswire_common.contracts import RawArticle, utcnow
    from newswire_enrich.core import enrich_article
    from newswire_index.documents import to_documents

    docs = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        raw = RawArticle(article_id=row["id"], trace_id="probe", received_at=utcnow(),
                         text=row["text"], title=row["title"], section=row.get("category"),
                         url=f"https://www.bbc.co.uk/news/{row['id']}")
        try:
            story, _ = to_documents(enrich_article(clean_article(raw)))
        except EmptyArticleError:
            continue
        story["indexed_at_ts"] = int(time.time())
        docs.append(story)
    CACHE.write_text(json.dumps(docs))
    return docs


class Probe:
    def __init__(self, work: Path) -> None:
        port = free_port()
        self.process = subprocess.Popen(
            [str(meili_binary()), "--db-path", str(work / "meili"), "--http-addr",
             f"127.0.0.1:{port}", "--no-analytics", "--max-indexing-threads", "2",
             "--master-key", KEY, "--env", "development", "--log-level", "WARN"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ps = psutil.Process(self.process.pid)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600, headers={
            "Authorization": f"Bearer {KEY}", "Accept-Encoding": "identity"})
        for _ in range(100):
            try:
                self.http.get("/health")
                break
            except httpx.TransportError:
                time.sleep(0.1)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def wait(self, task: dict[str, Any]) -> dict[str, Any]:
        while True:
            info = self.http.get(f"/tasks/{task['taskUid']}").json()
            if info["status"] in ("succeeded", "failed", "canceled"):
                if info["status"] != "succeeded":
                    raise RuntimeError(info)
                return info
            time.sleep(0.005)


_TRACE_UNITS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds(iso_duration: str) -> float:
    """Meilisearch durations look like 'PT0.123456S'."""
    return float(iso_duration.removeprefix("PT").removesuffix("S"))


def trace_seconds(value: str) -> float:
    """A progress-trace step's time: '12.34ms', '80.6µs', '1.2s' (or an ISO duration)."""
    if value.startswith("PT"):
        return seconds(value)
    for unit in ("ns", "µs", "ms", "s"):
        if value.endswith(unit):
            try:
                return float(value.removesuffix(unit)) * _TRACE_UNITS[unit]
            except ValueError:
                return 0.0
    return 0.0


def run_variant(name: str, patch: dict[str, Any], docs: list[dict[str, Any]], base: int,
                sizes: list[int], repeats: int, trace: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="newswire-probe-") as tmp:
        probe = Probe(Path(tmp))
        try:
            probe.wait(probe.http.post("/indexes", json={"uid": "articles", "primaryKey": "id"}).json())
            probe.wait(probe.http.patch("/indexes/articles/settings",
                                        json={**ARTICLE_SETTINGS, **patch}).json())
            serial = 0

            def fresh(n: int) -> list[dict[str, Any]]:
                nonlocal serial
                out = []
                for _ in range(n):
                    doc = dict(docs[serial % len(docs)])
                    doc["id"] = f"{doc['id']}-{serial}"
                    out.append(doc)
                    serial += 1
                return out

            started = time.perf_counter()
            for i in range(0, base, 1000):
                probe.wait(probe.http.post("/indexes/articles/documents",
                                           json=fresh(min(1000, base - i))).json())
            print(f"\n== {name} {patch or ''}: {base} docs bulk-loaded in "
                  f"{time.perf_counter() - started:.1f} s")
            print(f"{'batch':>6} {'task s p50':>10} {'wall s p50':>10} {'cpu s/batch':>11} "
                  f"{'cpu ms/doc':>10}")
            for size in sizes:
                durations, walls, cpus = [], [], []
                last: dict[str, Any] = {}
                for _ in range(repeats):
                    cpu0, t0 = probe.cpu(), time.perf_counter()
                    last = probe.wait(probe.http.post("/indexes/articles/documents",
                                                      json=fresh(size)).json())
                    walls.append(time.perf_counter() - t0)
                    cpus.append(probe.cpu() - cpu0)
                    durations.append(seconds(last["duration"]))
                cpu = statistics.median(cpus)
                print(f"{size:>6} {statistics.median(durations):>10.3f} "
                      f"{statistics.median(walls):>10.3f} {cpu:>11.3f} {1000 * cpu / size:>10.2f}")
                if trace and last.get("batchUid") is not None:
                    batch = probe.http.get(f"/batches/{last['batchUid']}").json()
                    steps = batch.get("stats", {}).get("progressTrace", {})
                    # Leaf steps only: a parent's time is the sum of its children's.
                    leaves = [k for k in steps if not any(o.startswith(k + " > ") for o in steps)]
                    slow = sorted(((k, trace_seconds(steps[k]) if isinstance(steps[k], str)
                                    else 0.0) for k in leaves), key=lambda kv: -kv[1])
                    for step, spent in slow[:10]:
                        print(f"         {spent:7.3f} s  {step}")
        finally:
            probe.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=int, default=8900)
    ap.add_argument("--sizes", default="1,5,20,100,500")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    ap.add_argument("--trace", action="store_true")
    args = ap.parse_args()
    docs = documents()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    for name in args.variant or ["as-is"]:
        run_variant(name, VARIANTS[name], docs, args.base, sizes, args.repeats, args.trace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
