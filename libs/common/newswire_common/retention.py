"""Stream retention that never deletes an entry some consumer group still needs.

Redis 7.0 has no "trim acknowledged only", so we compute the oldest entry any group still
needs — its oldest pending entry, or the entry after its last delivered one — and trim below
the older of that and the retention horizon (XTRIM MINID). Dead letters are never trimmed here.
"""

import asyncio
import time

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from .logging import get_logger

log = get_logger(__name__)


def _older(a: str, b: str) -> str:
    def key(entry_id: str) -> tuple[int, int]:
        ms, _, seq = entry_id.partition("-")
        return int(ms), int(seq or 0)

    return a if key(a) <= key(b) else b


async def safe_trim_id(redis: aioredis.Redis, stream: str, retention_s: int) -> str | None:
    """The MINID below which every entry is acknowledged by every group and old enough."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # no such stream yet
        return None
    horizon = f"{int((time.time() - retention_s) * 1000)}-0"
    if not groups:
        return None  # nobody has read it yet: keep everything
    needed = horizon
    for group in groups:
        name = group["name"]
        summary = await redis.xpending(stream, name)
        if summary["pending"]:
            oldest = summary["min"]
            needed = _older(needed, oldest.decode() if isinstance(oldest, bytes) else oldest)
        last = group["last-delivered-id"]
        last = last.decode() if isinstance(last, bytes) else last
        ms, _, seq = last.partition("-")
        needed = _older(needed, f"{ms}-{int(seq or 0) + 1}")
    return needed


async def trim_stream(redis: aioredis.Redis, stream: str, retention_s: int) -> int:
    minid = await safe_trim_id(redis, stream, retention_s)
    if minid is None:
        return 0
    removed = await redis.xtrim(stream, minid=minid, approximate=False)
    if removed:
        log.info("stream trimmed", stream=stream, removed=removed, below=minid)
    return int(removed)


async def trim_forever(redis: aioredis.Redis, stream: str, retention_s: int,
                       every_s: float = 60.0) -> None:
    while True:
        try:
            await trim_stream(redis, stream, retention_s)
        except Exception as exc:  # retention is housekeeping; never take the worker down
            log.warning("stream trim failed", stream=stream, error=repr(exc))
        await asyncio.sleep(every_s)
