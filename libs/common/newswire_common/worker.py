"""The small ASGI shell around a stream worker: health, readiness, metrics on a port of its own,
and the housekeeping task that trims the stage's input stream safely."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from faststream.asgi import AsgiFastStream, AsgiResponse, get, make_ping_asgi
from faststream.redis import RedisBroker
from faststream.specification import AsyncAPI
from prometheus_client import make_asgi_app

from .retention import trim_forever
from .settings import get_settings
from .streams import STAGES


@get(include_in_schema=False)
async def healthz(scope: Any) -> AsgiResponse:
    return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})


def worker_app(broker: RedisBroker, *, stage: str,
               on_startup: Sequence[Callable[[], Awaitable[Any]]] = (),
               on_shutdown: Sequence[Callable[[], Awaitable[Any]]] = ()) -> AsgiFastStream:
    settings = get_settings()
    background: list[asyncio.Task[None]] = []

    async def start_housekeeping() -> None:
        redis = aioredis.from_url(settings.redis_url)
        background.append(asyncio.create_task(
            trim_forever(redis, STAGES[stage][0], settings.stream_retention_s)))

    async def stop_housekeeping() -> None:
        for task in background:
            task.cancel()

    return AsgiFastStream(
        broker,
        asgi_routes=[
            ("/healthz", healthz),
            ("/readyz", make_ping_asgi(broker, timeout=2.0, include_in_schema=False)),
            ("/metrics", make_asgi_app()),
        ],
        specification=AsyncAPI(title=f"newswire {stage}", version="1"),
        asyncapi_path="/asyncapi",
        on_startup=on_startup,
        after_startup=(start_housekeeping,),
        on_shutdown=(stop_housekeeping, *on_shutdown),
    )
