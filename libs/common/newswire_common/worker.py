"""The small ASGI shell around a stream worker: health, readiness, metrics on a port of its own."""

from typing import Any

from faststream.asgi import AsgiFastStream, AsgiResponse, get, make_ping_asgi
from faststream.redis import RedisBroker
from faststream.specification import AsyncAPI
from prometheus_client import make_asgi_app


@get(include_in_schema=False)
async def healthz(scope: Any) -> AsgiResponse:
    return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})


def worker_app(broker: RedisBroker, *, title: str, on_startup: tuple = (),
               on_shutdown: tuple = ()) -> AsgiFastStream:
    return AsgiFastStream(
        broker,
        asgi_routes=[
            ("/healthz", healthz),
            ("/readyz", make_ping_asgi(broker, timeout=2.0, include_in_schema=False)),
            ("/metrics", make_asgi_app()),
        ],
        specification=AsyncAPI(title=title, version="1"),
        asyncapi_path="/asyncapi",
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )
