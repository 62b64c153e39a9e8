"""A/B latency and CPU cost of search-service variants against one loaded stack.

    # 1. a stack on free ports with the BBC corpus (x3, as `make bench` back-fills); runs until
    #    SIGTERM/Ctrl-C and writes what step 2 needs to --state
    .venv/bin/python services/search/probe_ab.py stack --state /tmp/nw-ab.json &
    # 2. each variant is a directory holding a `newswire_search` package (e.g. `git archive` of
    #    an older commit), served by its own `newswire serve search` process on a free port
    .venv/bin/python services/search/probe_ab.py run --state /tmp/nw-ab.json \
        --variant base=/tmp/nw-base --variant new=services/search --rounds 4

The runs alternate variant by variant, round by round, so load from other processes on this
shared machine falls on all of them alike. Queries are `make bench`'s search mix (1 client,
aiohttp, keep-alive). Per variant: latency percentiles, and CPU ms per query of its own search
process and of Meilisearch (from /proc), which other load disturbs far less than wall time.
The pseudo-variant `meili` sends the current code's multi-search straight to Meilisearch: the
floor any service can reach.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from newswire_cli import bench
from newswire_cli.stack import LocalStack, StackConfig, free_port, newswire_command, wait_until


def cpu_s(pid: int) -> float:
    """CPU seconds of all the process's threads, nanosecond-exact (schedstat), not in ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that just ended
    return total / 1e9


def stack(args: argparse.Namespace) -> int:
    rows = bench.load_corpus(args.corpus)
    items = bench.backfill_submissions(rows, args.copies)
    work = Path(tempfile.mkdtemp(prefix="nw-ab-"))
    cfg = StackConfig.on_free_ports(work / "stack", log_format="json")
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with open(work / "stack.log", "wb") as log, LocalStack(cfg, output=log.fileno()) as running:
        asyncio.run(bench.post_all(cfg.ingest_url, items, 16, 50, bench.ingest_headers(cfg)))

        async def wait() -> None:
            async with bench.meili_client(cfg) as meili:
                seen, count, dead = await bench.wait_for_count(meili, cfg, len(items), 1800)
                print(f"indexed {count} ({dead} dead)", file=sys.stderr)

        asyncio.run(wait())
        processes = running.processes()
        state = {"env": cfg.service_env(), "meili_url": cfg.meili_url,
                 "meili_key": cfg.master_key(), "corpus": str(args.corpus),
                 "meili_pid": processes["meilisearch:meilisearch"]["pid"],
                 "supervisord_pid": running.process.pid if running.process else None}
        args.state.write_text(json.dumps(state))
        print(f"ready: {args.state}", file=sys.stderr, flush=True)
        while not stop:
            time.sleep(0.5)
    shutil.rmtree(work, ignore_errors=True)
    return 0


class Variant:
    """One search service process running the `newswire_search` found under `path`."""

    def __init__(self, name: str, path: Path, env: dict[str, str]) -> None:
        self.name, self.path, self.port = name, path.resolve(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [newswire_command(), "serve", "search", "--port", str(self.port)],
            env={**os.environ, **env, "PYTHONPATH": str(self.path)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.ready, 30, f"variant {name} did not start")

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(40)


class Target:
    """Where one variant's requests go, and whose CPU time counts for it."""

    def __init__(self, name: str, url: str, requests: list[tuple[str, str, Any]],
                 pids: list[int]) -> None:
        self.name, self.url, self.requests, self.pids = name, url, requests, pids
        self.latencies: list[float] = []
        self.cpu = [0.0] * len(pids)
        self.errors = 0


async def interleaved(targets: list[Target], rounds: int, chunk: int) -> None:
    """Every variant gets each chunk of queries in turn (order rotating), so a burst of load
    from elsewhere on the machine falls on all variants alike."""
    headers = {"Accept-Encoding": "identity"}
    sessions = [aiohttp.ClientSession(t.url, headers=headers,
                                      connector=aiohttp.TCPConnector(limit=1)) for t in targets]
    try:
        for target, session in zip(targets, sessions, strict=True):
            for method, path, payload in target.requests[:20]:  # warm connection and caches
                async with session.request(method, path, **payload) as response:
                    await response.read()
        n = len(targets[0].requests)
        for round_ in range(rounds):
            for c, begin in enumerate(range(0, n, chunk)):
                order = list(range(len(targets)))
                shift = (c + round_) % len(targets)
                for i in order[shift:] + order[:shift]:
                    target, session = targets[i], sessions[i]
                    before = [cpu_s(pid) for pid in target.pids]
                    for method, path, payload in target.requests[begin:begin + chunk]:
                        t = time.perf_counter()
                        async with session.request(method, path, **payload) as response:
                            await response.read()
                            target.errors += response.status != 200
                        target.latencies.append((time.perf_counter() - t) * 1000)
                    for k, pid in enumerate(target.pids):
                        target.cpu[k] += cpu_s(pid) - before[k]
            for target in targets:
                print(f"round {round_}: {target.name:10s} p50 "
                      f"{bench.percentile(target.latencies, 50):5.2f} ms so far, load "
                      f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    finally:
        for session in sessions:
            await session.close()


def search_requests(queries: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return [("GET", "/v1/search", {"params": {k: v for k, v in q.items() if k != "kind"}})
            for q in queries]


def meili_requests(queries: list[dict[str, Any]], key: str) -> list[tuple[str, str, Any]]:
    from starlette.datastructures import QueryParams

    from newswire_search.params import search_request
    from newswire_search.query import build_queries

    out = []
    for q in queries:
        built, _ = build_queries(search_request(QueryParams(
            {k: v for k, v in q.items() if k != "kind"})))
        out.append(("POST", "/multi-search", {
            "data": json.dumps({"queries": built}),
            "headers": {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}}))
    return out


def run(args: argparse.Namespace) -> int:
    state = json.loads(args.state.read_text())
    rows = bench.load_corpus(Path(state["corpus"]))
    queries = bench.make_queries(rows, args.queries, seed=args.seed)
    extra = dict(p.split("=", 1) for p in args.param)
    queries = [{**q, **extra} for q in queries]
    variants: list[Variant] = []
    targets: list[Target] = []
    try:
        for spec in args.variant:
            name, _, path = spec.partition("=")
            if name == "meili":
                continue
            env = dict(state["env"])
            for item in args.env:
                target, _, assignment = item.partition(":")
                if target == name:
                    key, _, value = assignment.partition("=")
                    env[key] = value
            variants.append(Variant(name, Path(path), env))
        for spec in args.variant:
            name = spec.partition("=")[0]
            if name == "meili":
                targets.append(Target(name, state["meili_url"],
                                      meili_requests(queries, state["meili_key"]),
                                      [state["meili_pid"]]))
            else:
                variant = next(v for v in variants if v.name == name)
                targets.append(Target(name, variant.url, search_requests(queries),
                                      [state["meili_pid"], variant.process.pid]))
        asyncio.run(interleaved(targets, args.rounds, args.chunk))
    finally:
        for variant in variants:
            variant.stop()
    report = {}
    for target in targets:
        lat, count = target.latencies, len(target.latencies)
        report[target.name] = {
            "queries": count, "errors": target.errors,
            "p50_ms": round(bench.percentile(lat, 50) or 0, 2),
            "p95_ms": round(bench.percentile(lat, 95) or 0, 2),
            "p99_ms": round(bench.percentile(lat, 99) or 0, 2),
            "meili_cpu_ms_per_query": round(target.cpu[0] * 1000 / count, 3),
            "service_cpu_ms_per_query": round(target.cpu[1] * 1000 / count, 3)
            if len(target.cpu) > 1 else 0.0,
        }
    print(json.dumps(report, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_stack = sub.add_parser("stack", help="start and load a stack; serve until SIGTERM")
    p_stack.add_argument("--state", type=Path, required=True)
    p_stack.add_argument("--corpus", type=Path, default=bench.DEFAULT_CORPUS)
    p_stack.add_argument("--copies", type=int, default=3)
    p_run = sub.add_parser("run", help="alternate A/B runs of variants against the stack")
    p_run.add_argument("--state", type=Path, required=True)
    p_run.add_argument("--variant", action="append", required=True, metavar="NAME=DIR",
                       help="a dir with a newswire_search package; NAME 'meili': no service")
    p_run.add_argument("--env", action="append", default=[], metavar="NAME:KEY=VALUE",
                       help="extra environment for one variant's process")
    p_run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                       help="add this parameter to every query (e.g. facets=true)")
    p_run.add_argument("--queries", type=int, default=2000)
    p_run.add_argument("--rounds", type=int, default=3)
    p_run.add_argument("--chunk", type=int, default=100, help="queries per turn of a variant")
    p_run.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    return stack(args) if args.command == "stack" else run(args)


if __name__ == "__main__":
    raise SystemExit(main())
