"""Index stage: articles.enriched -> Meilisearch `articles` and `authors` indexes.

Messages are handled concurrently (up to `index_batch_size` in flight); `IndexBatcher` gathers
them into one upsert task per flush and keeps several tasks in flight at once, so Meilisearch
auto-batches them instead of paying its per-task cost for each small batch. Each message's
handler returns, and so the message is acknowledged, only after the task holding its story
succeeded and the article counts of its authors were refreshed.
"""

import asyncio
from typing import Any

import redis.asyncio as aioredis
from newswire_common import status
from newswire_common.broker import make_broker, stage_subscriber
from newswire_common.contracts import DeadLetter, EnrichedArticle, utcnow
from newswire_common.logging import bind_article_context, get_logger
from newswire_common.settings import get_settings
from newswire_common.streams import ARTICLES_INDEX, AUTHORS_INDEX, Stream
from newswire_common.worker import worker_app

from .documents import ARTICLE_SETTINGS, AUTHOR_SETTINGS, to_documents
from .meili import Meili

settings = get_settings()
broker = make_broker(settings, stage="index")
dead_letters = broker.publisher(stream=Stream.DEAD, schema=DeadLetter, title="articles.dead",
                                description="Messages that failed permanently, with the reason")
log = get_logger("newswire.index")
key = settings.meili_master_key.get_secret_value() if settings.meili_master_key else None
redis = aioredis.from_url(settings.redis_url)
meili = Meili(settings.meili_url, key, timeout=settings.index_task_timeout_s)


async def apply_index_settings() -> None:
    await meili.ensure_index(ARTICLES_INDEX, ARTICLE_SETTINGS)
    await meili.ensure_index(AUTHORS_INDEX, AUTHOR_SETTINGS)
    log.info("index settings applied", indexes=[ARTICLES_INDEX, AUTHORS_INDEX])


async def author_counts(author_ids: list[str]) -> dict[str, int]:
    """Count each author's stories from the index itself, so redelivery never double counts."""
    quoted = ", ".join(f'"{a}"' for a in author_ids)
    result = await meili.search(ARTICLES_INDEX, {
        "q": "", "limit": 0, "filter": f"author_ids IN [{quoted}]", "facets": ["author_ids"],
    })
    distribution = result.get("facetDistribution", {}).get("author_ids", {})
    return {a: int(distribution.get(a, 0)) for a in author_ids}


# Count-then-update of author documents is serialised: whoever enqueues its update last also
# counted last, after its own stories were searchable, so the final count is complete.
author_update_lock = asyncio.Lock()


async def index_articles(articles: list[EnrichedArticle]) -> None:
    stories: list[dict[str, Any]] = []
    authors: dict[str, dict[str, Any]] = {}
    now = utcnow()
    for article in articles:
        story, story_authors = to_documents(article)
        story["indexed_at"] = now.isoformat()
        story["indexed_at_ts"] = int(now.timestamp())
        stories.append(story)
        for author in story_authors:
            authors.setdefault(author["id"], {}).update(author)
    await meili.wait_for_task(await meili.add_documents(ARTICLES_INDEX, stories),
                              timeout_s=settings.index_task_timeout_s)
    if authors:
        async with author_update_lock:
            counts = await author_counts(list(authors))
            for author_id, doc in authors.items():
                doc["article_count"] = counts[author_id]
            author_task = await meili.update_documents(AUTHORS_INDEX, list(authors.values()))
        await meili.wait_for_task(author_task, timeout_s=settings.index_task_timeout_s)
    for article in articles:
        await status.mark(redis, article.article_id, "indexed", indexed_at=now.isoformat(),
                          trace_id=article.trace_id)
        with bind_article_context(article.article_id, article.trace_id, stage="index"):
            log.info("article indexed", title=article.title[:80])


class IndexBatcher:
    """Collects concurrently handled articles into batches; flushes do not wait for each other."""

    def __init__(self, max_batch: int, linger_s: float = 0.01) -> None:
        self.max_batch = max_batch
        self.linger_s = linger_s
        self._waiting: list[tuple[EnrichedArticle, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def index(self, article: EnrichedArticle) -> None:
        """Return once the article is searchable; raise if its batch failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((article, done))
        if len(self._waiting) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            # A short linger lets the rest of one stream read join the same task.
            self._timer = asyncio.get_running_loop().call_later(self.linger_s, self._flush)
        await done

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if batch:
            task = asyncio.create_task(self._index(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    @staticmethod
    async def _index(batch: list[tuple[EnrichedArticle, asyncio.Future[None]]]) -> None:
        try:
            await index_articles([article for article, _ in batch])
        except Exception as exc:  # every message of the batch fails and stays pending
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)


batcher = IndexBatcher(settings.index_batch_size)


@stage_subscriber(broker, "index", settings, max_records=settings.index_batch_size,
                  max_workers=settings.index_batch_size)
async def on_enriched(article: EnrichedArticle) -> None:
    # An invalid message fails validation before this runs: the dead-letter middleware takes it.
    await batcher.index(article)


app = worker_app(broker, title="newswire index", on_startup=(apply_index_settings,),
                 on_shutdown=(meili.aclose,))
