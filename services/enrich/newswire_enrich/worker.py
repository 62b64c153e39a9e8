"""Enrich stage: articles.clean -> enrich_article() -> articles.enriched."""

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

from .core import enrich_article

settings = get_settings()
broker = make_broker(settings, stage="enrich")
enriched = broker.publisher(stream=Stream.ENRICHED, schema=EnrichedArticle,
                            title="articles.enriched", description="Enriched articles")
redis = redis_client(settings.redis_url)
log = get_logger("newswire.enrich")


@stage_subscriber(broker, "enrich", settings)
async def on_clean(article: CleanArticle) -> None:
    started = time.perf_counter()
    try:
        result = await anyio.to_thread.run_sync(enrich_article, article)
    except Exception as exc:
        # enrich_article is a pure function of the message: failing once means failing always.
        raise PermanentError(f"enrichment failed: {exc!r}") from exc
    await enriched.publish(result, headers=article_headers(result.article_id, result.trace_id))
    await status.mark(redis, result.article_id, "enriched",
                      enriched_at=result.enriched_at.isoformat())
    log.info("article enriched", duration_ms=round((time.perf_counter() - started) * 1000, 1),
             language=result.language, keywords=result.keywords[:5])


app = worker_app(broker, stage="enrich")
