"""Dead-letter stream operations: list, show, replay into the failed stage, drop."""

from typing import Any

import redis.asyncio as aioredis

from newswire_common.broker import decode_entry, encode_entry
from newswire_common.streams import STAGES, Stream


async def list_entries(redis: aioredis.Redis, count: int = 100) -> list[dict[str, Any]]:
    entries = await redis.xrange(Stream.DEAD, count=count)
    out = []
    for entry_id, fields in entries:
        body, _ = decode_entry(fields)
        out.append({"id": entry_id.decode(), **{k: body.get(k) for k in (
            "stage", "article_id", "trace_id", "error_type", "error", "attempts", "failed_at")}})
    return out


async def show_entry(redis: aioredis.Redis, entry_id: str) -> dict[str, Any] | None:
    entries = await redis.xrange(Stream.DEAD, min=entry_id, max=entry_id)
    if not entries:
        return None
    body, headers = decode_entry(entries[0][1])
    return {"id": entry_id, **body, "message_headers": headers}


async def replay_entry(redis: aioredis.Redis, entry_id: str) -> str | None:
    """Put the original message back on the input stream of the stage that failed it, then
    remove the dead letter. Returns the new entry id in that stream."""
    entry = await show_entry(redis, entry_id)
    if entry is None:
        return None
    stage_stream = STAGES[entry["stage"]][0]
    headers = {k: v for k, v in (entry.get("headers") or {}).items()
               if isinstance(v, str) and k not in ("content-type", "correlation_id")}
    # Re-encode exactly as FastStream publishes, so the stage reads it like any new message.
    raw = await encode_entry(entry["payload"], headers, correlation_id=entry_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(stage_stream, {"__data__": raw})
        pipe.xdel(Stream.DEAD, entry_id)
        new_id, _ = await pipe.execute()
    return new_id.decode()


async def drop_entry(redis: aioredis.Redis, entry_id: str) -> bool:
    return bool(await redis.xdel(Stream.DEAD, entry_id))
