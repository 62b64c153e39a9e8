"""Throughput of enrich_article alone on the BBC corpus, one process.

    .venv/bin/python services/enrich/bench_enrich.py [--corpus PATH] [--limit N] [--repeat R]
        [--redis redis://127.0.0.1:PORT/0]

Builds CleanArticles from the corpus (title + text), warms the caches (gazetteers, lingua),
then enriches every article and prints articles/s by wall clock and by process CPU time (the
CPU figure is the one to trust on a busy machine), the per-stage split, and the RSS.

With --redis, also the near-duplicate lookup the worker does per article (dedup.py: MinHash
signature + check_and_add against that Redis, under a throw-away key prefix that is deleted
afterwards): this process's CPU ms per article, the signature's share, and redis-server's CPU
ms per article (from INFO cpu). Every article goes in twice: the second pass is all
duplicates (each finds its first copy).
"""

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime


def rss_mb() -> tuple[float, float]:
    fields = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


async def bench_dedup(url: str, texts: list[tuple[str, str]]) -> dict[str, float]:
    """CPU ms per article of NearDuplicateIndex.check_and_add (client and redis-server)."""
    import uuid

    from newswire_common.redisclient import redis_client
    from newswire_enrich.dedup import NearDuplicateIndex, dedup_text, signature
    from newswire_enrich.settings import get_enrich_settings

    s = get_enrich_settings()
    docs = [(i, dedup_text(t, b)) for i, (t, b) in enumerate(texts)]
    c = time.process_time()
    for _i, text in docs:
        signature(text, s.dedup_num_perm)
    sig_ms = (time.process_time() - c) / len(docs) * 1000

    async def server_cpu() -> float:
        info = await redis.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    redis = redis_client(url)
    prefix = f"bench:dedup:{uuid.uuid4().hex}"
    index = NearDuplicateIndex(redis, threshold=s.dedup_threshold, num_perm=s.dedup_num_perm,
                               prefix=prefix)
    out: dict[str, float] = {"signature_ms": round(sig_ms, 3)}
    try:
        for label, suffix in (("new", ""), ("copies", "-copy")):
            found = 0
            server0, c, w = await server_cpu(), time.process_time(), time.perf_counter()
            for i, text in docs:
                found += await index.check_and_add(f"{i}{suffix}", text) is not None
            n = len(docs)
            out[f"{label}_client_cpu_ms"] = round((time.process_time() - c) / n * 1000, 3)
            out[f"{label}_wall_ms"] = round((time.perf_counter() - w) / n * 1000, 3)
            out[f"{label}_server_cpu_ms"] = round((await server_cpu() - server0) / n * 1000, 3)
            out[f"{label}_found"] = found
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 1000):
            await redis.delete(*keys[start:start + 1000])
        await redis.aclose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.environ.get("NEWSWIRE_BBC_CORPUS",
                                                       "/work/shared/corpora/bbc/bbc.ndjson"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON line only")
    ap.add_argument("--redis", help="also time the near-duplicate lookup against this Redis")
    args = ap.parse_args()

    from newswire_common.contracts import CleanArticle
    from newswire_enrich.core import enrich_article, extract_keywords, warm_up
    from newswire_enrich.entities import extract_entities
    from newswire_enrich.language import detect_language

    now = datetime.now(UTC)
    with open(args.corpus, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    if args.limit:
        rows = rows[: args.limit]
    articles = [CleanArticle(article_id=r["id"], trace_id="bench", received_at=now,
                             cleaned_at=now, title=r["title"], body=r["text"],
                             url=f"https://www.bbc.co.uk/news/{r['category']}/{r['id']}")
                for r in rows]
    t0 = time.perf_counter()
    warm_up()
    warm_s = time.perf_counter() - t0

    def timed(fn) -> tuple[float, float]:
        w, c = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            for a in articles:
                fn(a)
        n = len(articles) * args.repeat
        return n / (time.perf_counter() - w), n / max(1e-9, time.process_time() - c)

    total_wall, total_cpu = timed(lambda a: enrich_article(a, now=now))
    stages = {
        "language": timed(lambda a: detect_language(f"{a.title}\n\n{a.body}")),
        "entities": timed(lambda a: extract_entities(f"{a.title}\n\n{a.body}", language="en")),
        "keywords": timed(lambda a: extract_keywords(f"{a.title}\n\n{a.body}", "en")),
    }
    rss, peak = rss_mb()
    result = {"articles": len(articles) * args.repeat, "warm_up_s": round(warm_s, 2),
              "articles_per_s_wall": round(total_wall, 1),
              "articles_per_s_cpu": round(total_cpu, 1),
              "stages_per_s_cpu": {k: round(v[1], 1) for k, v in stages.items()},
              "rss_mb": round(rss, 1), "peak_rss_mb": round(peak, 1),
              "load_avg_1m": os.getloadavg()[0]}
    if args.redis:
        result["dedup"] = asyncio.run(bench_dedup(args.redis, [(a.title, a.body)
                                                               for a in articles]))
    if args.json:
        print(json.dumps(result))
        return
    print(f"enrich_article on {result['articles']} BBC articles, one process "
          f"(warm-up {result['warm_up_s']} s)")
    print(f"  articles/s  wall {result['articles_per_s_wall']}  cpu {result['articles_per_s_cpu']}")
    for k, v in result["stages_per_s_cpu"].items():
        print(f"  {k:<10} {v} articles/s (cpu)")
    if "dedup" in result:
        d = result["dedup"]
        print(f"  dedup      signature {d['signature_ms']} ms; check_and_add per article: "
              f"new {d['new_client_cpu_ms']} ms cpu + {d['new_server_cpu_ms']} ms redis "
              f"({d['new_found']} found), copies {d['copies_client_cpu_ms']} ms cpu + "
              f"{d['copies_server_cpu_ms']} ms redis ({d['copies_found']} found)")
    print(f"  RSS {result['rss_mb']} MB, peak {result['peak_rss_mb']} MB; "
          f"load average {result['load_avg_1m']:.1f}")


if __name__ == "__main__":
    sys.exit(main())
