"""Index stage: articles.enriched -> Meilisearch `articles` and `authors` indexes.

Reads batches, upserts the stories, waits for the Meilisearch task to succeed, refreshes the
article counts of the authors involved, and only then lets the batch be acknowledged. Up to
`index_concurrency` batches are handled at once and their stories share one Meilisearch task
(`group_commit.py`): a lone article goes at once, a back-fill in large batches.
"""

import asyncio
import time
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from newswire_common import metrics, status
from newswire_common.broker import make_broker, record_dead_letter, stage_subscriber
from newswire_common.contracts import ArticleDeletion, DeadLetter, EnrichedArticle, utcnow
from newswire_common.logging import bind_article_context, get_logger
from newswire_common.redisclient import redis_client
from newswire_common.settings import get_settings
from newswire_common.streams import ARTICLES_INDEX, AUTHORS_INDEX, STAGES, Stream
from newswire_common.streamstats import group_backlog
from newswire_common.worker import worker_app

from .documents import ARTICLE_SETTINGS, AUTHOR_SETTINGS, to_documents
from .group_commit import GroupCommit
from .meili import Meili, MeiliTaskFailed

settings = get_settings()
broker = make_broker(settings, stage="index")
log = get_logger("newswire.index")
key = settings.meili_master_key.get_secret_value() if settings.meili_master_key else None
redis = redis_client(settings.redis_url)
meili = Meili(settings.meili_url, key, timeout=settings.index_task_timeout_s)


async def wait_for_task(task_uid: int) -> None:
    try:
        await meili.wait_for_task(task_uid, timeout_s=settings.index_task_timeout_s)
    except (MeiliTaskFailed, TimeoutError):
        metrics.MEILI_TASK_FAILURES.inc()
        raise


async def meilisearch() -> bool:
    return await meili.healthy()


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
    if not queries:
        return {}
    results = (await meili.multi_search(queries))["results"]
    return {a: r["hits"] for a, r in zip(author_ids, results, strict=True)}


#: Batches run concurrently (`index_concurrency`); counting and writing an author's document
#: one batch at a time means the last write always carries the latest count.
_authors_lock = asyncio.Lock()


async def refresh_authors(authors: dict[str, dict[str, Any]]) -> None:
    """Upsert the authors' documents with their current story counts; drop authors left with
    no story."""
    if not authors:
        return
    async with _authors_lock:
        await _refresh_authors(authors)


async def _refresh_authors(authors: dict[str, dict[str, Any]]) -> None:
    counts = await author_counts(list(authors))
    latest = await latest_stories([a for a in authors if counts[a]])
    keep = [{**doc, "article_count": counts[a], "latest_stories": latest[a],
             "latest_story_titles": [story["title"] for story in latest[a]]}
            for a, doc in authors.items() if counts[a]]
    gone = [a for a in authors if not counts[a]]
    if keep:
        await wait_for_task(await meili.update_documents(AUTHORS_INDEX, keep))
    for author_id in gone:
        await wait_for_task(await meili.delete_document(AUTHORS_INDEX, author_id))


async def deleted_after_receipt(articles: list[EnrichedArticle]) -> set[str]:
    """Ids of articles whose deletion was requested after this version was received: a late
    update must not bring a deleted story back."""
    async with redis.pipeline(transaction=False) as pipe:
        for article in articles:
            pipe.hget(status.status_key(article.article_id), "deleted_at")
        deleted_at = await pipe.execute()
    return {a.article_id for a, d in zip(articles, deleted_at, strict=True)
            if d is not None and d.decode() >= a.received_at.isoformat()}


class IndexedArticle(NamedTuple):
    """What is left of an article once its documents are built: enough to mark and log it."""

    article_id: str
    trace_id: str
    received_at: datetime
    title: str


async def index_articles(articles: list[EnrichedArticle]) -> None:
    """Index the articles, then mark and log them.

    Takes ownership of `articles` and empties it once their documents are built: in a
    back-fill a batch waits seconds for its commit (group_commit.py), and holding only the
    documents, not the validated models as well, keeps ~12 KB per BBC story out of memory."""
    skip = await deleted_after_receipt(articles)
    stories: list[dict[str, Any]] = []
    authors: dict[str, dict[str, Any]] = {}
    done: list[IndexedArticle] = []
    now = utcnow()
    for article in articles:
        if article.article_id in skip:
            continue
        story, story_authors = to_documents(article)
        story["indexed_at"] = now.isoformat()
        story["indexed_at_ts"] = int(now.timestamp())
        stories.append(story)
        for author in story_authors:
            authors.setdefault(author["id"], {}).update(author)
        done.append(IndexedArticle(article.article_id, article.trace_id, article.received_at,
                                   article.title[:80]))
    articles.clear()
    if not done:
        return
    started = time.perf_counter()
    await stories_commit.add(stories)
    await refresh_authors(authors)
    indexed_at = utcnow()
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    await status.mark_many(redis, [
        (a.article_id, {"state": "indexed", "indexed_at": indexed_at.isoformat(),
                        "trace_id": a.trace_id}) for a in done])
    for article in done:
        freshness = (indexed_at - article.received_at).total_seconds()
        metrics.FRESHNESS.observe(freshness)
        log.info("article indexed", article_id=article.article_id, trace_id=article.trace_id,
                 stage="index", title=article.title, duration_ms=duration_ms,
                 batch_size=len(done), freshness_s=round(freshness, 3))


async def send_stories(stories: list[dict[str, Any]]) -> int:
    return await meili.add_documents(ARTICLES_INDEX, stories)


#: Entries waiting for clean or enrich (lag + pending) from which the upstream stages count
#: as busy, so the index stage holds small commits back (see group_commit.py).
UPSTREAM_BUSY_ENTRIES = 64
_upstream_backlog = 0


def upstream_backlog() -> int:
    return _upstream_backlog


async def watch_upstream(every_s: float = 0.25) -> None:
    """Keep `_upstream_backlog` current: XINFO GROUPS of the clean and enrich inputs."""
    global _upstream_backlog
    watched = [(STAGES[stage][0], str(STAGES[stage][1])) for stage in ("clean", "enrich")]
    while True:
        try:
            _upstream_backlog = sum([await group_backlog(redis, stream, group)
                                     for stream, group in watched])
        except Exception as exc:  # noqa: BLE001 - advisory only: never hold commits on it
            _upstream_backlog = 0
            log.debug("upstream backlog unknown", error=repr(exc)[:200])
        await asyncio.sleep(every_s)


stories_commit = GroupCommit(send_stories, wait_for_task, upstream_backlog=upstream_backlog,
                             busy_backlog=UPSTREAM_BUSY_ENTRIES,
                             target_docs=settings.index_commit_docs,
                             max_hold_s=settings.index_hold_max_ms / 1000)
_watcher: asyncio.Task[None] | None = None


async def start_watching_upstream() -> None:
    global _watcher
    _watcher = asyncio.create_task(watch_upstream(), name="upstream-backlog")


async def stop_background() -> None:
    if _watcher is not None:
        _watcher.cancel()
    stories_commit.close()


async def delete_article(deletion: ArticleDeletion) -> None:
    with bind_article_context(deletion.article_id, deletion.trace_id, stage="index"):
        existing = await meili.get_document(ARTICLES_INDEX, deletion.article_id)
        await wait_for_task(await meili.delete_document(ARTICLES_INDEX, deletion.article_id))
        if existing:
            await refresh_authors({a: {"id": a} for a in existing.get("author_ids", [])})
        await status.mark(redis, deletion.article_id, "deleted",
                          deleted_at=deletion.requested_at.isoformat())
        log.info("article deleted", existed=existing is not None)


async def dead_letter_invalid(item: Any, exc: ValidationError) -> None:
    payload = item if isinstance(item, dict) else {"value": item}
    await record_dead_letter(DeadLetter(
        stage="index", stream=Stream.ENRICHED, article_id=payload.get("article_id"),
        trace_id=payload.get("trace_id"), error=str(exc)[:2000], error_type="ValidationError",
        attempts=1, payload=payload))
    log.error("invalid message dead-lettered", article_id=payload.get("article_id"),
              error=str(exc)[:300])


@stage_subscriber(broker, "index", settings, batch=True, max_records=settings.index_batch_size,
                  readers=settings.index_concurrency)
async def on_enriched(batch: list[Any]) -> None:
    """Apply the batch in order: runs of upserts go to Meilisearch as one task each, deletions
    one by one between them. One malformed message must not hold back the good ones."""
    pending: list[EnrichedArticle] = []
    for item in batch:
        try:
            if isinstance(item, dict) and item.get("action") == "delete":
                deletion = ArticleDeletion.model_validate(item)
                await index_articles(pending)
                pending = []
                await delete_article(deletion)
            else:
                pending.append(EnrichedArticle.model_validate(item))
        except ValidationError as exc:
            await dead_letter_invalid(item, exc)
    await index_articles(pending)


app = worker_app(broker, stage="index", on_startup=(apply_index_settings, start_watching_upstream),
                 ready_checks=(meilisearch,),
                 on_shutdown=(stop_background, meili.aclose))
