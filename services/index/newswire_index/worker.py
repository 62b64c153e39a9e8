"""Index stage: articles.enriched -> Meilisearch `articles` and `authors` indexes.

Reads batches, upserts the stories in one task, waits for it to succeed, refreshes the article
counts of the authors involved, and only then lets the batch be acknowledged.
"""

from typing import Any

import redis.asyncio as aioredis
from pydantic import ValidationError

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


LATEST_STORIES_PER_AUTHOR = 3


async def latest_stories(author_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each author's newest stories (id, title, published_at), in one multi-search."""
    queries = [{"indexUid": ARTICLES_INDEX, "q": "", "limit": LATEST_STORIES_PER_AUTHOR,
                "filter": f'author_ids = "{a}"',  # ids are slugs: [a-z0-9-] only
                "sort": ["published_at_ts:desc", "indexed_at_ts:desc"],
                "attributesToRetrieve": ["id", "title", "published_at"]} for a in author_ids]
    results = (await meili.multi_search(queries))["results"]
    return {a: r["hits"] for a, r in zip(author_ids, results, strict=True)}


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
        counts = await author_counts(list(authors))
        latest = await latest_stories(list(authors))
        for author_id, doc in authors.items():
            doc["article_count"] = counts[author_id]
            doc["latest_stories"] = latest[author_id]
            doc["latest_story_titles"] = [story["title"] for story in latest[author_id]]
        await meili.wait_for_task(
            await meili.update_documents(AUTHORS_INDEX, list(authors.values())),
            timeout_s=settings.index_task_timeout_s)
    for article in articles:
        await status.mark(redis, article.article_id, "indexed", indexed_at=now.isoformat(),
                          trace_id=article.trace_id)
        with bind_article_context(article.article_id, article.trace_id, stage="index"):
            log.info("article indexed", title=article.title[:80])


@stage_subscriber(broker, "index", settings, batch=True, max_records=settings.index_batch_size)
async def on_enriched(batch: list[dict[str, Any]]) -> None:
    articles: list[EnrichedArticle] = []
    for item in batch:
        try:
            articles.append(EnrichedArticle.model_validate(item))
        except ValidationError as exc:
            # One malformed message must not hold back the good ones in its batch.
            payload = item if isinstance(item, dict) else {"value": item}
            await dead_letters.publish(DeadLetter(
                stage="index", stream=Stream.ENRICHED, article_id=payload.get("article_id"),
                trace_id=payload.get("trace_id"), error=str(exc)[:2000],
                error_type="ValidationError", attempts=1, payload=payload))
            log.error("invalid enriched article dead-lettered",
                      article_id=payload.get("article_id"), error=str(exc)[:300])
    if articles:
        await index_articles(articles)


app = worker_app(broker, title="newswire index", on_startup=(apply_index_settings,),
                 on_shutdown=(meili.aclose,))
