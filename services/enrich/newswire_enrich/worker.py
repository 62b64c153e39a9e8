"""Enrich stage: articles.clean -> enrich_article() + near-duplicate lookup -> articles.enriched."""

import time

import anyio
from newswire_common import status
from newswire_common.broker import PermanentError, article_headers, make_broker, stage_subscriber
from newswire_common.contracts import CleanArticle, EnrichedArticle
from newswire_common.logging import get_logger
from newswire_common.redisclient import redis_client
from newswire_common.settings import get_settings
from newswire_common.streams import Stream
from newswire_common.worker import worker_app

from .core import enrich_article, warm_up
from .dedup import NearDuplicateIndex, dedup_text
from .settings import get_enrich_settings

settings = get_settings()
enrich_settings = get_enrich_settings()
broker = make_broker(settings, stage="enrich")
enriched = broker.publisher(stream=Stream.ENRICHED, schema=EnrichedArticle,
                            title="articles.enriched", description="Enriched articles")
redis = redis_client(settings.redis_url)
log = get_logger("newswire.enrich")
near_duplicates = NearDuplicateIndex(redis, threshold=enrich_settings.dedup_threshold,
                                     num_perm=enrich_settings.dedup_num_perm,
                                     prefix=enrich_settings.dedup_key_prefix)


@stage_subscriber(broker, "enrich", settings)
async def on_clean(article: CleanArticle) -> None:
    started = time.perf_counter()
    try:
        result = await anyio.to_thread.run_sync(enrich_article, article)
    except Exception as exc:
        # enrich_article is a pure function of the message: failing once means failing always.
        raise PermanentError(f"enrichment failed: {exc!r}") from exc
    result.near_duplicate_of = await near_duplicates.check_and_add(
        result.article_id, dedup_text(result.title, result.body))
    await enriched.publish(result, headers=article_headers(result.article_id, result.trace_id))
    await status.mark(redis, result.article_id, "enriched",
                      enriched_at=result.enriched_at.isoformat())
    log.info("article enriched", duration_ms=round((time.perf_counter() - started) * 1000, 1),
             language=result.language, keywords=result.keywords[:5],
             entities=len(result.entities), near_duplicate_of=result.near_duplicate_of)


async def _warm_up() -> None:
    await anyio.to_thread.run_sync(warm_up)  # gazetteers and lingua models before the first message


app = worker_app(broker, stage="enrich", on_startup=(_warm_up,), on_shutdown=(redis.aclose,))
