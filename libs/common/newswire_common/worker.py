"""The small ASGI shell around a stream worker: health, readiness, metrics on a port of its own,
and the housekeeping task that trims the stage's input stream safely."""

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.redis import RedisBroker
from faststream.specification import AsyncAPI
from prometheus_client import make_asgi_app

from . import metrics
from .gc_tuning import tune_collector_after_startup
from .logging import get_logger
from .redisclient import redis_client
from .retention import trim_forever
from .settings import get_settings
from .streams import STAGES, Stream
from .streamstats import stream_stats

log = get_logger(__name__)


async def export_stream_gauges(redis: aioredis.Redis, every_s: float = 5.0) -> None:
    """Keep the stream/group gauges current so a scrape never waits on Redis."""
    while True:
        try:
            for stream, figures in (await stream_stats(redis)).items():
                metrics.STREAM_LENGTH.labels(stream).set(figures["length"])
                for group, g in figures["groups"].items():
                    metrics.GROUP_PENDING.labels(stream, group).set(g["pending"])
                    if g["lag"] is not None:
                        metrics.GROUP_LAG.labels(stream, group).set(g["lag"])
                if stream == Stream.DEAD:
                    metrics.DEAD_LETTERS.set(figures["length"])
        except Exception as exc:  # metrics are best effort; never take the worker down
            log.warning("stream metrics failed", error=repr(exc))
        await asyncio.sleep(every_s)


@get(include_in_schema=False)
async def healthz(scope: Any) -> AsgiResponse:
    return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})


async def exit_if_not_consuming(broker: RedisBroker, grace_s: float = 30.0) -> None:
    """FastStream starts the broker after the ASGI startup completed, so a failed start (Redis
    timing out at that moment) leaves a process that serves /healthz but consumes nothing.
    Such a process ends itself, and its process manager starts a fresh one."""
    bad_since: float | None = None
    while True:
        await asyncio.sleep(2.0)
        if broker.subscribers and all(getattr(s, "running", False) for s in broker.subscribers):
            bad_since = None
            continue
        bad_since = bad_since or time.monotonic()
        if time.monotonic() - bad_since > grace_s:
            log.critical("stream subscribers are not running; exiting so the worker restarts")
            # Nothing is in flight (nothing is consumed); exit non-zero for every restart policy.
            os._exit(1)


def worker_app(broker: RedisBroker, *, stage: str,
               on_startup: Sequence[Callable[[], Awaitable[Any]]] = (),
               on_shutdown: Sequence[Callable[[], Awaitable[Any]]] = (),
               ready_checks: Sequence[Callable[[], Awaitable[bool]]] = ()) -> AsgiFastStream:
    settings = get_settings()
    background: list[asyncio.Task[None]] = []

    async def start_housekeeping() -> None:
        redis = redis_client(settings.redis_url)
        background.append(asyncio.create_task(
            trim_forever(redis, STAGES[stage][0], settings.stream_retention_s)))
        background.append(asyncio.create_task(export_stream_gauges(redis)))
        background.append(asyncio.create_task(exit_if_not_consuming(broker)))

    async def tune_collector() -> None:
        tune_collector_after_startup()

    async def stop_housekeeping() -> None:
        for task in background:
            task.cancel()

    @get(include_in_schema=False)
    async def readyz(scope: Any) -> AsgiResponse:
        """Ready when Redis answers and every extra dependency check passes."""
        checks = {"redis": await broker.ping(2.0)}
        for check in ready_checks:
            checks[check.__name__] = await check()
        body = json.dumps({"status": "ready" if all(checks.values()) else "unavailable",
                           **checks}).encode()
        return AsgiResponse(body, 200 if all(checks.values()) else 503,
                            headers={"content-type": "application/json"})

    return AsgiFastStream(
        broker,
        asgi_routes=[
            ("/healthz", healthz),
            ("/readyz", readyz),
            ("/metrics", make_asgi_app()),
        ],
        specification=AsyncAPI(title=f"newswire {stage}", version="1"),
        asyncapi_path="/asyncapi",
        # Last: what the stage's own startup loaded (enrich's models) is frozen too.
        on_startup=(*on_startup, start_housekeeping, tune_collector),
        on_shutdown=(stop_housekeeping, *on_shutdown),
        logger=logging.getLogger("faststream.newswire"),
    )
