"""`newswire status`: the system at a glance, or where one article is."""

import asyncio
from typing import Any

import httpx
import redis.asyncio as aioredis
from rich.console import Group
from rich.table import Table
from rich.text import Text

from newswire_common import status as article_status
from newswire_common.settings import Settings
from newswire_common.streams import ARTICLES_INDEX, AUTHORS_INDEX
from newswire_common.streamstats import stream_stats

#: Consumers idle longer than this while holding messages look stuck.
STUCK_IDLE_MS = 60_000


async def gather(settings: Settings) -> dict[str, Any]:
    redis = aioredis.from_url(settings.redis_url, socket_timeout=3)
    try:
        streams = await stream_stats(redis)
    finally:
        await redis.aclose()
    key = settings.meili_master_key.get_secret_value() if settings.meili_master_key else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    meili: dict[str, Any] = {"healthy": False, "indexes": {}}
    async with httpx.AsyncClient(base_url=settings.meili_url, headers=headers, timeout=3) as http:
        try:
            meili["healthy"] = (await http.get("/health")).json().get("status") == "available"
            for uid in (ARTICLES_INDEX, AUTHORS_INDEX):
                response = await http.get(f"/indexes/{uid}/stats")
                if response.status_code == 200:
                    stats = response.json()
                    meili["indexes"][uid] = {"documents": stats["numberOfDocuments"],
                                             "indexing": stats["isIndexing"]}
        except httpx.HTTPError as exc:
            meili["error"] = repr(exc)
    return {"streams": streams, "meilisearch": meili}


def render(snapshot: dict[str, Any]) -> Group:
    streams = Table(title="Streams and consumer groups", expand=False)
    for column in ("stream", "length", "group", "pending", "lag", "consumers (pending, idle)"):
        streams.add_column(column)
    for name, stream in snapshot["streams"].items():
        if name == "articles.dead":
            continue
        groups = stream["groups"] or {"-": None}
        for group, figures in groups.items():
            if figures is None:
                streams.add_row(name, str(stream["length"]), "-", "-", "-", "no group yet")
                continue
            consumers = Text()
            for c in figures["consumers"]:
                stuck = c["pending"] and c["idle_ms"] > STUCK_IDLE_MS
                consumers.append(f"{c['name']} ({c['pending']}, {c['idle_ms'] / 1000:.0f}s) ",
                                 style="bold red" if stuck else "")
            lag = figures["lag"]
            streams.add_row(
                name, str(stream["length"]), group,
                Text(str(figures["pending"]), style="yellow" if figures["pending"] else "green"),
                Text("?" if lag is None else str(lag), style="yellow" if lag else "green"),
                consumers if figures["consumers"] else Text("no consumers", style="bold red"))
    dead = snapshot["streams"].get("articles.dead", {}).get("length", 0)
    meili = snapshot["meilisearch"]
    summary = Text()
    summary.append("dead letters: ")
    summary.append(str(dead), style="bold red" if dead else "green")
    summary.append("   meilisearch: ")
    summary.append("healthy" if meili["healthy"] else "UNREACHABLE",
                   style="green" if meili["healthy"] else "bold red")
    for uid, figures in meili["indexes"].items():
        summary.append(f"   {uid}: {figures['documents']} docs"
                       + (" (indexing)" if figures["indexing"] else ""))
    return Group(streams, summary)


def article(settings: Settings, article_id: str) -> dict[str, Any] | None:
    async def read() -> dict[str, Any] | None:
        redis = aioredis.from_url(settings.redis_url, socket_timeout=3)
        try:
            return await article_status.read(redis, article_id)
        finally:
            await redis.aclose()

    return asyncio.run(read())
