"""Stream and consumer-group figures: what `newswire status` prints and metrics export."""

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from .streams import STAGES, Stream


async def stream_stats(redis: aioredis.Redis) -> dict[str, Any]:
    """Per stream: length, and per group pending, lag and consumers (with idle times)."""
    out: dict[str, Any] = {}
    for stream in (Stream.RAW, Stream.CLEAN, Stream.ENRICHED, Stream.DEAD):
        entry: dict[str, Any] = {"length": int(await redis.xlen(stream)), "groups": {}}
        try:
            groups = await redis.xinfo_groups(stream)
        except ResponseError:
            groups = []
        for group in groups:
            name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
            consumers = await redis.xinfo_consumers(stream, name)
            entry["groups"][name] = {
                "pending": int(group["pending"]),
                "lag": None if group.get("lag") is None else int(group["lag"]),
                "consumers": [{
                    "name": c["name"].decode() if isinstance(c["name"], bytes) else c["name"],
                    "pending": int(c["pending"]), "idle_ms": int(c["idle"]),
                } for c in consumers],
            }
        out[str(stream)] = entry
    return out


STAGE_GROUPS = {str(stream): str(group) for stream, group, _ in STAGES.values()}
