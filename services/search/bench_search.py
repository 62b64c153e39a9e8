"""Search latency benchmark: p50/p95/p99 and qps of GET /v1/search for varied reader queries.

    .venv/bin/python services/search/bench_search.py                  # own stack, BBC corpus
    .venv/bin/python services/search/bench_search.py --search-url http://127.0.0.1:8001

Without --search-url it starts a LocalStack on free ports in a temp dir, posts the BBC corpus
through POST /v1/articles/batch (NDJSON: title, text, url, section) and waits until every
article is searchable. Queries come from the corpus itself: words, two-word phrases, prefixes
(search-as-you-type), one-typo words, some with a section filter, newest-first sort or page 2.
One client sends them one after another over a keep-alive connection (--clients 1 8: also
eight at once). Besides latency it reports Meilisearch's processingTimeMs, the CPU time per
query of the search service and Meilisearch, and the load average: on a shared machine, wall
time is noisy and CPU time much less so.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import orjson

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                                     REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
BENCH_SOURCE = "BBC bench"
WORD_CHARS = set("abcdefghijklmnopqrstuvwxyz")


def read_corpus(path: Path, limit: int | None) -> list[dict]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return items[:limit] if limit else items


def submissions(items: list[dict]) -> list[dict]:
    return [{"title": i["title"], "text": i["text"], "url": f"https://www.bbc.co.uk/news/{i['id']}",
             "section": i.get("category"), "source": BENCH_SOURCE} for i in items]


def load_corpus(ingest_url: str, search_url: str, items: list[dict], api_key: str | None,
                chunk: int = 250) -> float:
    """Post the corpus in NDJSON batches and wait until the search API sees all of it."""
    started = time.perf_counter()
    docs = submissions(items)
    headers = {"Content-Type": "application/x-ndjson"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    with httpx.Client(base_url=ingest_url, timeout=120, headers=headers) as ingest:
        for start in range(0, len(docs), chunk):
            body = "\n".join(json.dumps(d) for d in docs[start:start + chunk])
            response = ingest.post("/v1/articles/batch", content=body)
            response.raise_for_status()
    with httpx.Client(base_url=search_url, timeout=30) as search:
        deadline = time.monotonic() + 1800
        while True:
            # Facet counts are exact (totals are capped by pagination.maxTotalHits).
            result = search.get("/v1/search", params={"q": "", "per_page": 1, "facets": "true",
                                                      "source": BENCH_SOURCE}).json()
            indexed = result["stories"]["facets"]["source"].get(BENCH_SOURCE, 0)
            print(f"\r  indexed {indexed}/{len(docs)}", end="", file=sys.stderr, flush=True)
            if indexed >= len(docs):
                print(file=sys.stderr)
                return time.perf_counter() - started
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {indexed} of {len(docs)} articles indexed")
            time.sleep(1.0)


def words_of(text: str) -> list[str]:
    out = []
    for raw in text.lower().split():
        word = raw.strip(".,;:!?\"'()[]£$%-")
        if len(word) >= 4 and set(word) <= WORD_CHARS:
            out.append(word)
    return out


def with_typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + rng.choice("aeioustr") + word[i + 1:]


def make_queries(items: list[dict], n: int, seed: int) -> list[dict]:
    """Varied reader queries; about a fifth filtered, a tenth sorted by date or on page 2."""
    rng = random.Random(seed)
    sections = sorted({i["category"] for i in items})
    queries = []
    while len(queries) < n:
        item = rng.choice(items)
        words = words_of(item["title"] + " " + item["text"][:800])
        if len(words) < 3:
            continue
        kind = rng.random()
        if kind < 0.35:
            q = rng.choice(words)
        elif kind < 0.60:
            i = rng.randrange(len(words) - 1)
            q = f"{words[i]} {words[i + 1]}"
        elif kind < 0.75:
            word = rng.choice(words)
            q = word[:rng.randint(3, max(3, len(word) - 1))]  # typing in progress
        elif kind < 0.90:
            q = with_typo(rng.choice([w for w in words if len(w) >= 6] or words), rng)
        else:
            q = " ".join(item["title"].split()[:4])
        params: dict = {"q": q}
        extra = rng.random()
        if extra < 0.20:
            params["section"] = rng.choice(sections)
        elif extra < 0.25:
            params["sort"] = "newest"
        elif extra < 0.30:
            params["page"] = 2
        queries.append(params)
    return queries


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User+system CPU seconds so far of each named process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[name] = (int(fields[11]) + int(fields[12])) / tick
    return out


def one_client(search_url: str, queries: list[dict]) -> list[tuple[float, float, float]]:
    """(latency, service took_ms, Meilisearch processingTimeMs) per query, one after another.

    The standard library's HTTP client over one keep-alive connection: the client's own CPU
    time is part of each latency, and on a two-core machine httpx's ~2 ms a request was not
    negligible beside the service's."""
    out = []
    url = urlsplit(search_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        for params in queries:
            t0 = time.perf_counter()
            connection.request("GET", f"/v1/search?{urlencode(params, doseq=True)}",
                               headers={"Accept-Encoding": "identity"})
            response = connection.getresponse()
            content = response.read()
            latency = (time.perf_counter() - t0) * 1000
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status} for {params}: {content[:200]!r}")
            body = orjson.loads(content)
            out.append((latency, body.get("took_ms") or 0.0,
                        body["stories"].get("processing_ms") or 0.0))
    finally:
        connection.close()
    return out


def run_queries(search_url: str, queries: list[dict], warmup: int, clients: int = 1,
                pids: dict[str, int] | None = None) -> dict:
    """`clients` threads, each with its own keep-alive connection, share out the queries."""
    one_client(search_url, queries[:warmup])
    load_before = os.getloadavg()[0]
    cpu_before = {**cpu_seconds(pids or {}), "bench client": time.process_time()}
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        parts = pool.map(lambda i: one_client(search_url, queries[i::clients]), range(clients))
        samples = [sample for part in parts for sample in part]
    elapsed = time.perf_counter() - started
    cpu_after = {**cpu_seconds(pids or {}), "bench client": time.process_time()}
    latencies, server_ms, meili_ms = (list(column) for column in zip(*samples, strict=True))
    return {
        "clients": clients,
        "queries": len(queries),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "qps": round(len(queries) / elapsed, 1),
        "server_p50_ms": round(percentile(server_ms, 50), 2),
        "server_p99_ms": round(percentile(server_ms, 99), 2),
        "meili_processing_p50_ms": percentile(meili_ms, 50),
        "meili_processing_p99_ms": percentile(meili_ms, 99),
        # CPU time is what load from other processes on the machine disturbs least.
        "cpu_ms_per_query": {name: round((cpu_after[name] - cpu_before[name]) * 1000
                                         / len(queries), 3) for name in cpu_before},
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search-url", help="benchmark a running search service (no loading)")
    parser.add_argument("--ingest-url", help="with --search-url: also load the corpus here")
    parser.add_argument("--api-key", default=os.environ.get("NEWSWIRE_API_KEY"),
                        help="publisher key for --ingest-url (default: $NEWSWIRE_API_KEY)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="only the first N corpus articles")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--clients", type=int, nargs="+", default=[1],
                        help="concurrent clients, one run per figure (e.g. --clients 1 8)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="add this parameter to every query (e.g. --param facets=true)")
    parser.add_argument("--pid", action="append", default=[], metavar="NAME=PID",
                        help="report CPU ms per query of this process (own stack: automatic)")
    parser.add_argument("--json-out", type=Path, help="also write the figures here")
    args = parser.parse_args()

    items = read_corpus(args.corpus, args.limit)
    queries = make_queries(items, args.queries, args.seed)
    extra = dict(p.split("=", 1) for p in args.param)
    queries = [{**q, **extra} for q in queries]
    pids = {name: int(pid) for name, pid in (p.split("=", 1) for p in args.pid)}
    report: dict = {"corpus_articles": len(items), "extra_params": extra, "runs": []}
    with ExitStack() as stack:
        if args.search_url:
            search_url = args.search_url
            if args.ingest_url:
                report["load_s"] = round(load_corpus(args.ingest_url, search_url, items,
                                                         args.api_key), 1)
        else:
            from newswire_cli.stack import LocalStack, StackConfig

            var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nw-bench-")))
            cfg = StackConfig.on_free_ports(var_dir, log_format="json")
            log = stack.enter_context(open(var_dir / "stack.log", "wb"))
            print(f"starting stack in {var_dir}", file=sys.stderr)
            running = stack.enter_context(LocalStack(cfg, output=log.fileno()))
            search_url = cfg.search_url
            report["load_s"] = round(load_corpus(cfg.ingest_url, search_url, items,
                                                 running.api_key), 1)
            processes = running.processes()
            pids = {name: processes[f"{name}:{name}"]["pid"] for name in ("search", "meilisearch")}
        for clients in args.clients:
            report["runs"].append(run_queries(search_url, queries, args.warmup, clients, pids))
    print(json.dumps(report, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
