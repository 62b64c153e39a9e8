"""Stream and consumer-group figures: what `newswire status` prints and metrics export."""

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from .streams import STAGES, Stream


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def group_backlog(redis: aioredis.Redis, stream: str, group: str) -> int:
    """Entries the group has yet to finish: not yet read (lag) plus read but unacknowledged."""
    for info in await redis.xinfo_groups(stream):
        if _text(info["name"]) == group:
            return int(info.get("lag") or 0) + int(info["pending"])
    return 0


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
            name = _text(group["name"])
            consumers = await redis.xinfo_consumers(stream, name)
            entry["groups"][name] = {
                "pending": int(group["pending"]),
                "lag": None if group.get("lag") is None else int(group["lag"]),
                "consumers": [{
                    "name": _text(c["name"]),
                    "pending": int(c["pending"]), "idle_ms": int(c["idle"]),
                } for c in consumers],
            }
        out[str(stream)] = entry
    return out


STAGE_GROUPS = {str(stream): str(group) for stream, group, _ in STAGES.values()}
