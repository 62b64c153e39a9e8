"""Enrich stage: articles.clean -> enrich_article() + near-duplicate lookup -> articles.enriched."""

import anyio
from newswire_common.broker import article_headers, make_broker, stage_subscriber
from newswire_common.contracts import CleanArticle, EnrichedArticle
from newswire_common.logging import get_logger
from newswire_common.settings import get_settings
from newswire_common.streams import Stream
from newswire_common.worker import worker_app
from redis.asyncio import Redis

from .core import enrich_article, warm_up
from .dedup import NearDuplicateIndex, dedup_text
from .settings import get_enrich_settings

settings = get_settings()
enrich_settings = get_enrich_settings()
broker = make_broker(settings, stage="enrich")
enriched = broker.publisher(stream=Stream.ENRICHED, schema=EnrichedArticle,
                            title="articles.enriched", description="Enriched articles")
log = get_logger("newswire.enrich")
_dedup: NearDuplicateIndex | None = None


def dedup_index() -> NearDuplicateIndex:
    global _dedup
    if _dedup is None:
        _dedup = NearDuplicateIndex(Redis.from_url(settings.redis_url),
                                    threshold=enrich_settings.dedup_threshold,
                                    num_perm=enrich_settings.dedup_num_perm,
                                    prefix=enrich_settings.dedup_key_prefix)
    return _dedup


@stage_subscriber(broker, "enrich", settings)
async def on_clean(article: CleanArticle) -> None:
    result = await anyio.to_thread.run_sync(enrich_article, article)
    result.near_duplicate_of = await dedup_index().check_and_add(
        result.article_id, dedup_text(result.title, result.body))
    await enriched.publish(result, headers=article_headers(result.article_id, result.trace_id))
    log.info("article enriched", language=result.language, keywords=result.keywords[:5],
             entities=len(result.entities), near_duplicate_of=result.near_duplicate_of)


async def _warm_up() -> None:
    await anyio.to_thread.run_sync(warm_up)  # gazetteers and lingua models before the first message


async def _close() -> None:
    if _dedup is not None:
        await _dedup.redis.aclose()


app = worker_app(broker, title="newswire enrich", on_startup=(_warm_up,), on_shutdown=(_close,))
