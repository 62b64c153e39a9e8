"""`newswire`: the operator's and developer's command line."""

import json
import signal
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from .stack import WORKER_STAGES, StackConfig, replicas_option

app = typer.Typer(help="Newswire: news ingestion, cleaning, enrichment and search.",
                  no_args_is_help=True, pretty_exceptions_enable=False)

SERVICES = ("ingest", "clean", "enrich", "index", "search")
#: The ports `make run` gives a stage's first replica (StackConfig's defaults), so a worker
#: started by hand answers where the docs say.
WORKER_DEFAULT_PORTS = {stage: StackConfig(var_dir=Path("var")).worker_port(stage, 0)
                        for stage in WORKER_STAGES}


def _wait_for_dependencies(service: str, timeout: float = 60.0) -> None:
    """Wait for Redis (and Meilisearch where used) so a service started with its dependencies
    does not crash-loop while they come up."""
    import redis

    from newswire_common.settings import get_settings

    settings = get_settings()
    deadline = time.monotonic() + timeout
    needs_meili = service in ("index", "search")
    while True:
        try:
            if service != "search":
                redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
            if needs_meili:
                httpx.get(f"{settings.meili_url}/health", timeout=2).raise_for_status()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _exit_when_unresponsive(port: int, *, grace_s: float = 60.0, window_s: float = 60.0) -> None:
    """In-process liveness check: if this service's own /healthz has failed for `window_s`, the
    process is wedged (for instance an event loop stuck cancelling tasks after a failed start),
    so end it and let the process manager start a fresh one."""
    import os
    import sys
    import threading

    def watch() -> None:
        time.sleep(grace_s)
        failing_since: float | None = None
        while True:
            try:
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                healthy = False
            now = time.monotonic()
            failing_since = None if healthy else (failing_since or now)
            if failing_since is not None and now - failing_since > window_s:
                sys.stderr.write(f"newswire: /healthz on port {port} unanswered for "
                                 f"{window_s:.0f}s; exiting so the service restarts\n")
                os._exit(1)
            time.sleep(5)

    threading.Thread(target=watch, name="liveness", daemon=True).start()


@app.command()
def serve(service: Annotated[str, typer.Argument(help="|".join(SERVICES))],
          port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
          host: str = "127.0.0.1") -> None:
    """Run one service in the foreground (what supervisord, Docker and Kubernetes start)."""
    import uvicorn

    from newswire_common.logging import configure_logging, route_library_loggers
    from newswire_common.settings import get_settings

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    settings = get_settings()
    configure_logging(service, settings.log_format, settings.log_level)
    if service in WORKER_DEFAULT_PORTS:
        import structlog

        # With several replicas of a stage, every log line says which one (its Redis consumer).
        structlog.contextvars.bind_contextvars(replica=settings.consumer_name)
    _wait_for_dependencies(service)
    if service == "ingest":
        from newswire_ingest.app import create_app

        asgi, port = create_app(settings), port or settings.ingest_port
        host = host if host != "127.0.0.1" else settings.ingest_host
    elif service == "search":
        from newswire_search.app import create_app as create_search

        asgi, port = create_search(settings), port or settings.search_port
        host = host if host != "127.0.0.1" else settings.search_host
    else:
        import importlib

        asgi = importlib.import_module(f"newswire_{service}.worker").app
        port = port or WORKER_DEFAULT_PORTS[service]
    if service in ("ingest", "search"):
        from newswire_common.gc_tuning import tune_collector_after_startup

        tune_collector_after_startup()  # stream workers do it once their startup hooks ran
    route_library_loggers()  # the service's imports may have set FastStream's own handler
    # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which would end the process
    # "killed by signal"; with these no-op handlers in place a clean shutdown exits 0.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    _exit_when_unresponsive(port)
    uvicorn.run(asgi, host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=30, lifespan="on")


@app.command()
def run(workers: Annotated[int, typer.Option(help="replicas of each stream worker")] = 1,
        replicas: Annotated[list[str] | None, typer.Option(
            help="replicas of one stage: STAGE=N (repeatable); by default enrich runs "
                 "2 x --workers, the other stages --workers")] = None,
        var_dir: Annotated[Path, typer.Option(help="data and logs")] = Path("var")) -> None:
    """Start Redis, Meilisearch and all services locally; Ctrl-C stops everything."""
    from urllib.parse import urlsplit

    from newswire_common.settings import get_settings

    from .stack import LocalStack

    settings = get_settings()
    cfg = StackConfig(
        var_dir=var_dir, workers=workers, stage_workers=replicas_option(workers, replicas),
        log_format=settings.log_format,
        redis_port=urlsplit(settings.redis_url).port or 6379,
        meili_port=urlsplit(settings.meili_url).port or 7700,
        ingest_port=settings.ingest_port, search_port=settings.search_port,
        meili_key=settings.meili_master_key.get_secret_value() if settings.meili_master_key else None)
    stack = LocalStack(cfg)
    stack.start()

    def forward(signum: int, _frame: object) -> None:
        # supervisord runs in its own session; hand it the stop and let the wait below return.
        if stack.process is not None and stack.process.poll() is None:
            stack.process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        stack.wait_ready(timeout=120)
    except (TimeoutError, RuntimeError) as exc:
        typer.secho(f"newswire: {exc}; see the log above", fg="red", err=True)
        stack.stop()
        raise typer.Exit(1) from exc
    dev_key = stack.ensure_dev_key()
    typer.secho(
        "\nNewswire is up:\n"
        f"  ingest API   {cfg.ingest_url}   (POST /v1/articles, docs at /docs)\n"
        f"  search API   {cfg.search_url}   (GET /v1/search?q=…, docs at /docs)\n"
        f"  Meilisearch  {cfg.meili_url}   (master key in {cfg.var_dir}/meili-master.key)\n"
        f"  Redis        {cfg.redis_url}\n"
        f"  publisher key (dev) {dev_key}  (in {stack.dev_key_file})\n"
        "Try: newswire ingest ../shared/seed/article.txt --url https://example.org/iraq-syria\n"
        "     newswire search maliki\nCtrl-C stops everything.\n", fg="green")
    assert stack.process is not None
    raise typer.Exit(stack.process.wait())


def _submission_for(path: Path, url: str | None) -> list[dict]:
    from newswire_clean.cli import read_article_file  # gzip and encoding detection

    text = read_article_file(path)
    if path.suffix in (".json", ".ndjson", ".jsonl"):
        if path.suffix == ".json":
            loaded = json.loads(text)
            return loaded if isinstance(loaded, list) else [loaded]
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    from newswire_clean.core import looks_like_html

    item = {"html": text} if looks_like_html(text) else {"text": text}
    if url:
        item["url"] = url
    return [item]


def _dev_key(var_dir: Path) -> str | None:
    key_file = var_dir / "dev-publisher.key"
    return key_file.read_text().strip() if key_file.exists() else None


@app.command()
def ingest(files: list[Path],
           url: Annotated[str | None, typer.Option(help="the article's URL (one file)")] = None,
           api: Annotated[str | None, typer.Option(envvar="NEWSWIRE_INGEST_URL")] = None,
           api_key: Annotated[str | None, typer.Option(envvar="NEWSWIRE_API_KEY",
                                                          help="publisher key")] = None) -> None:
    """Publish text, HTML or JSON/NDJSON files through the ingest HTTP API (key from
    NEWSWIRE_API_KEY or var/dev-publisher.key)."""
    from newswire_common.settings import get_settings

    settings = get_settings()
    base = api or f"http://127.0.0.1:{settings.ingest_port}"
    key = api_key or _dev_key(Path(settings.var_dir))
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    failed = 0
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        for path in files:
            for item in _submission_for(path, url if len(files) == 1 else None):
                response = client.post("/v1/articles", json=item)
                ok = response.status_code == 202
                failed += not ok
                typer.echo(json.dumps({"file": str(path), "status": response.status_code,
                                       **response.json()}))
    raise typer.Exit(1 if failed else 0)


@app.command()
def search(query: str, api: Annotated[str | None, typer.Option(envvar="NEWSWIRE_SEARCH_URL")] = None,
           json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Search stories and authors through the search API."""
    from newswire_common.settings import get_settings

    base = api or f"http://127.0.0.1:{get_settings().search_port}"
    result = httpx.get(f"{base}/v1/search", params={"q": query}, timeout=10).json()
    if json_output:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.secho(f"Stories ({result['stories']['total']}):", bold=True)
    for hit in result["stories"]["hits"]:
        typer.echo(f"  {hit['id']}  {hit['title']}  — {', '.join(hit['authors'] or [])}")
    typer.secho(f"Authors ({result['authors']['total']}):", bold=True)
    for hit in result["authors"]["hits"]:
        typer.echo(f"  {hit['name']}  ({hit.get('article_count', 0)} stories)")


@app.command()
def clean(paths: list[Path],
          url: Annotated[str | None, typer.Option(help="the page's URL (one input)")] = None
          ) -> None:
    """Clean local files (HTML, gzipped HTML or text) offline: one JSON line per input."""
    from newswire_clean.cli import clean_paths

    failed = 0
    for result in clean_paths(paths, url):
        failed += "error" in result
        typer.echo(json.dumps(result, ensure_ascii=False, default=str))
    raise typer.Exit(1 if failed else 0)


@app.command()
def enrich(files: Annotated[list[str] | None, typer.Argument(help="NDJSON files, or - for stdin")] = None,
           from_raw: Annotated[bool, typer.Option("--from-raw", help="lines are raw articles as "
                                                  "posted to POST /v1/articles")] = False) -> None:
    """Enrich NDJSON articles offline (no Redis): one enriched article per line, in order."""
    import fileinput

    from newswire_enrich.cli import enrich_lines

    with fileinput.input(files or ["-"], encoding="utf-8") as lines:
        for line in enrich_lines(lines, from_raw):
            typer.echo(line)


@app.command("eval-entities")
def eval_entities(path: Annotated[Path | None, typer.Argument(help="labelled JSONL")] = None,
                  errors: Annotated[bool, typer.Option("--errors")] = False) -> None:
    """Precision, recall and F1 of entity extraction per type on the labelled set."""
    from newswire_enrich.evaluation import print_eval_entities

    print_eval_entities(path, show_errors=errors)


@app.command()
def docs(out: Annotated[Path, typer.Option(help="output folder")] = Path("docs/api")) -> None:
    """Write the AsyncAPI documents of the streams and the OpenAPI documents of the HTTP APIs."""
    from .docs import write_docs

    for path in write_docs(out):
        typer.echo(str(path))


@app.command()
def status(article_id: Annotated[str | None, typer.Argument(help="one article's id")] = None,
           watch: Annotated[bool, typer.Option("--watch", help="refresh every 2 s")] = False,
           json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Streams, groups, consumers, dead letters and Meilisearch at a glance, or one article."""
    import asyncio

    from rich.console import Console
    from rich.live import Live

    from newswire_common.settings import get_settings

    from . import status as status_view

    settings = get_settings()
    if article_id:
        found = status_view.article(settings, article_id)
        if found is None:
            typer.secho(f"unknown article {article_id}", fg="red", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(found, indent=2))
        return
    snapshot = asyncio.run(status_view.gather(settings))
    if json_output:
        typer.echo(json.dumps(snapshot, indent=2))
        return
    if not watch:
        Console().print(status_view.render(snapshot))
        return
    with Live(status_view.render(snapshot), refresh_per_second=1) as live:
        try:
            while True:
                time.sleep(2)
                live.update(status_view.render(asyncio.run(status_view.gather(settings))))
        except KeyboardInterrupt:
            pass


keys_app = typer.Typer(help="Publisher API keys (stored hashed in Redis).", no_args_is_help=True)
dlq_app = typer.Typer(help="The dead-letter stream: inspect, replay after a fix, drop.",
                      no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(dlq_app, name="dlq")


def _redis():  # type: ignore[no-untyped-def]
    import redis.asyncio as aioredis

    from newswire_common.settings import get_settings

    return aioredis.from_url(get_settings().redis_url)


def _run(coro_factory):  # type: ignore[no-untyped-def]
    """Run an async operation with a fresh Redis client and close it afterwards."""
    import asyncio

    async def main():  # type: ignore[no-untyped-def]
        client = _redis()
        try:
            return await coro_factory(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


@keys_app.command("create")
def keys_create(name: str) -> None:
    """Create a key for publisher NAME and print it (it is shown only once)."""
    from newswire_common.keys import create_key

    typer.echo(_run(lambda r: create_key(r, name)))


@keys_app.command("revoke")
def keys_revoke(key_id_or_name: str) -> None:
    """Revoke a key by its id, or all keys of a publisher by name."""
    from newswire_common.keys import revoke_key

    revoked = _run(lambda r: revoke_key(r, key_id_or_name))
    typer.echo(f"revoked {revoked} key(s)")
    raise typer.Exit(0 if revoked else 1)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, publishers, created/revoked times; never the secrets)."""
    from newswire_common.keys import list_keys

    for record in _run(list_keys):
        typer.echo(json.dumps(record))


@dlq_app.command("list")
def dlq_list(count: int = 100) -> None:
    """List dead letters: id, stage, article, error."""
    from .dlq import list_entries

    for entry in _run(lambda r: list_entries(r, count)):
        typer.echo(json.dumps(entry, default=str))


@dlq_app.command("show")
def dlq_show(entry_id: str) -> None:
    """Show one dead letter with its original payload."""
    from .dlq import show_entry

    entry = _run(lambda r: show_entry(r, entry_id))
    if entry is None:
        typer.secho(f"no dead letter {entry_id}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(entry, indent=2, default=str))


@dlq_app.command("replay")
def dlq_replay(entry_id: Annotated[str | None, typer.Argument()] = None,
               all_: Annotated[bool, typer.Option("--all")] = False) -> None:
    """Send a dead letter (or --all) back into the stage that failed it."""
    from .dlq import list_entries, replay_entry

    if not entry_id and not all_:
        raise typer.BadParameter("give an entry id or --all")
    ids = [e["id"] for e in _run(lambda r: list_entries(r, 100_000))] if all_ else [entry_id]
    failed = 0
    for one in ids:
        new_id = _run(lambda r, one=one: replay_entry(r, one))
        failed += new_id is None
        typer.echo(json.dumps({"id": one, "replayed_as": new_id}))
    raise typer.Exit(1 if failed else 0)


@dlq_app.command("drop")
def dlq_drop(entry_id: str) -> None:
    """Delete a dead letter for good."""
    from .dlq import drop_entry

    dropped = _run(lambda r: drop_entry(r, entry_id))
    typer.echo(f"dropped {entry_id}" if dropped else f"no dead letter {entry_id}")
    raise typer.Exit(0 if dropped else 1)

# `newswire bench`: lives in its own module (heavy imports load only when it runs).
from .bench import bench as _bench  # noqa: E402

app.command(name="bench")(_bench)


if __name__ == "__main__":
    app()
