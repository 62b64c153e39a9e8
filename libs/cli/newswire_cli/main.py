"""`newswire`: the operator's and developer's command line."""

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import httpx
import typer

app = typer.Typer(help="Newswire: news ingestion, cleaning, enrichment and search.",
                  no_args_is_help=True, pretty_exceptions_enable=False)

SERVICES = ("ingest", "clean", "enrich", "index", "search")
WORKER_DEFAULT_PORTS = {"clean": 8020, "enrich": 8030, "index": 8040}


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


@app.command()
def serve(service: Annotated[str, typer.Argument(help="|".join(SERVICES))],
          port: Annotated[Optional[int], typer.Option(help="HTTP port")] = None,
          host: str = "127.0.0.1") -> None:
    """Run one service in the foreground (what supervisord, Docker and Kubernetes start)."""
    import uvicorn

    from newswire_common.logging import configure_logging
    from newswire_common.settings import get_settings

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    settings = get_settings()
    configure_logging(service, settings.log_format, settings.log_level)
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
    uvicorn.run(asgi, host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=30, lifespan="on")


@app.command()
def run(workers: Annotated[int, typer.Option(help="replicas of each stream worker")] = 1,
        var_dir: Annotated[Path, typer.Option(help="data and logs")] = Path("var")) -> None:
    """Start Redis, Meilisearch and all services locally; Ctrl-C stops everything."""
    from urllib.parse import urlsplit

    from newswire_common.settings import get_settings

    from .stack import LocalStack, StackConfig

    settings = get_settings()
    cfg = StackConfig(
        var_dir=var_dir, workers=workers, log_format=settings.log_format,
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
        raise typer.Exit(1)
    typer.secho(
        "\nNewswire is up:\n"
        f"  ingest API   {cfg.ingest_url}   (POST /v1/articles, docs at /docs)\n"
        f"  search API   {cfg.search_url}   (GET /v1/search?q=…, docs at /docs)\n"
        f"  Meilisearch  {cfg.meili_url}   (master key in {cfg.var_dir}/meili-master.key)\n"
        f"  Redis        {cfg.redis_url}\n"
        "Try: newswire ingest ../shared/seed/article.txt --url https://example.org/iraq-syria\n"
        "     newswire search maliki\nCtrl-C stops everything.\n", fg="green")
    assert stack.process is not None
    raise typer.Exit(stack.process.wait())


def _submission_for(path: Path, url: str | None) -> list[dict]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace")
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


@app.command()
def ingest(files: list[Path],
           url: Annotated[Optional[str], typer.Option(help="the article's URL (one file)")] = None,
           api: Annotated[Optional[str], typer.Option(envvar="NEWSWIRE_INGEST_URL")] = None) -> None:
    """Publish text, HTML or JSON/NDJSON files through the ingest HTTP API."""
    from newswire_common.settings import get_settings

    settings = get_settings()
    base = api or f"http://127.0.0.1:{settings.ingest_port}"
    failed = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in files:
            for item in _submission_for(path, url if len(files) == 1 else None):
                response = client.post("/v1/articles", json=item)
                ok = response.status_code == 202
                failed += not ok
                typer.echo(json.dumps({"file": str(path), "status": response.status_code,
                                       **response.json()}))
    raise typer.Exit(1 if failed else 0)


@app.command()
def search(query: str, api: Annotated[Optional[str], typer.Option(envvar="NEWSWIRE_SEARCH_URL")] = None,
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


# `newswire bench`: lives in its own module (heavy imports load only when it runs).
from .bench import bench as _bench  

app.command(name="bench")(_bench)


if __name__ == "__main__":
    app()
