"""CPU per article of each pipeline stage, one stage at a time, on a real local stack.

    .venv/bin/python libs/cli/probe_stages.py [--articles 2225] [--env NEWSWIRE_X=Y ...]
        [--py-spy]

Starts a throw-away stack on free 127.0.0.1 ports, stops the clean, enrich and index workers,
posts the BBC articles (batches of 50, as `make bench` does), then starts one stage at a time
and lets it drain the backlog its upstream left: clean, then enrich, then index. For each it
prints the worker's CPU ms per article (and Meilisearch's and Redis's during that stage) and
the stage's drain rate, both from the worker's first batch on (startup is not counted).

Why: in `make bench` every process competes for the same 2 cores, so a stage's CPU figure moves
with whatever else runs. Draining a full backlog alone gives a steadier figure per stage, which
is what a change to one stage's code or settings should be judged by.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import redis.asyncio as aioredis

from newswire_cli.bench import backfill_submissions, ingest_headers, load_corpus, post_all, warm_up
from newswire_cli.stack import REPO_ROOT, LocalStack, StackConfig
from newswire_common.streams import STAGES
from newswire_common.streamstats import group_backlog

CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                             REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
WORKERS = ("clean", "enrich", "index")


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def backlog(cfg: StackConfig, stage: str) -> int:
    stream, group, _ = STAGES[stage]
    client = aioredis.Redis.from_url(cfg.redis_url or "")
    try:
        return await group_backlog(client, str(stream), str(group))
    finally:
        await client.aclose()


def draining(cfg: StackConfig, stage: str, initial: int) -> int:
    """Wait until the restarted worker has taken its first batch, and return the backlog left.

    Measuring from there leaves out what a worker pays once: interpreter start, imports, and
    the models enrich loads on its first article (~1 ms per article of 2,225 for clean alone)."""
    deadline = time.monotonic() + 120
    while (left := asyncio.run(backlog(cfg, stage))) >= initial:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{stage} took nothing from its backlog in 120 s")
        time.sleep(0.02)
    return left


def run(articles: int, env: dict[str, str], py_spy: bool) -> None:
    rows = load_corpus(CORPUS)
    items = backfill_submissions(rows, -(-articles // len(rows)))[:articles]
    with tempfile.TemporaryDirectory(prefix="newswire-probe-stages-") as tmp:
        cfg = StackConfig.on_free_ports(Path(tmp), log_format="json", extra_env=env)
        with LocalStack(cfg, output=subprocess.DEVNULL) as stack:
            asyncio.run(warm_up(cfg, rows))
            rpc = stack.rpc().supervisor
            names = {info["group"]: f"{info['group']}:{info['name']}"
                     for info in rpc.getAllProcessInfo()}
            for stage in WORKERS:
                rpc.stopProcess(names[stage])
            accepted, failed, _ = asyncio.run(post_all(cfg.ingest_url, items, 16, 50,
                                                       ingest_headers(cfg)))
            print(f"posted {accepted} articles ({failed} failed); env {env or '{}'}")
            servers = {s: rpc.getProcessInfo(s)["pid"] for s in ("redis", "meilisearch")}
            for stage in WORKERS:
                initial = asyncio.run(backlog(cfg, stage))
                rpc.startProcess(names[stage])
                pid = rpc.getProcessInfo(names[stage])["pid"]
                pids = {stage: pid, **servers}
                measured = draining(cfg, stage, initial)
                before = {name: cpu_seconds(p) for name, p in pids.items()}
                spy = None
                if py_spy:
                    out = Path(tmp).parent / f"probe-stages-{stage}.txt"
                    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw", "--rate", "200",
                                            "--pid", str(pid), "--output", str(out)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                started = time.perf_counter()
                while asyncio.run(backlog(cfg, stage)):
                    time.sleep(0.05)
                wall = time.perf_counter() - started
                used = {name: cpu_seconds(p) - before[name] for name, p in pids.items()}
                if spy is not None:
                    spy.send_signal(2)
                    spy.wait(30)
                    print(f"  py-spy: {out}")
                figures = ", ".join(f"{name} {secs / measured * 1000:.3f}"
                                    for name, secs in used.items())
                print(f"{stage:7s} {measured / wall:7.1f} articles/s   CPU ms/article: {figures}"
                      f"   (the last {measured} of {initial})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2225)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the services")
    parser.add_argument("--py-spy", action="store_true", help="profile each stage as it drains")
    args = parser.parse_args()
    env: dict[str, Any] = dict(pair.split("=", 1) for pair in args.env)
    run(args.articles, env, args.py_spy)


if __name__ == "__main__":
    main()
