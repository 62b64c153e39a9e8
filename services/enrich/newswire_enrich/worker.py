"""Enrich stage: articles.clean -> enrich_article() + near-duplicate lookup -> articles.enriched,
a batch at a time."""

from typing import Any

import anyio
import numpy as np

from newswire_common.broker import make_broker, stage_subscriber
from newswire_common.contracts import CleanArticle, EnrichedArticle
from newswire_common.redisclient import redis_client
from newswire_common.settings import get_settings
from newswire_common.stage import StageSpec, run_stage_batch
from newswire_common.streams import Stream
from newswire_common.worker import worker_app

from .core import enrich_article, warm_up
from .dedup import NearDuplicateIndex, dedup_text, signature
from .settings import get_enrich_settings

settings = get_settings()
enrich_settings = get_enrich_settings()
broker = make_broker(settings, stage="enrich")
enriched = broker.publisher(stream=Stream.ENRICHED, schema=EnrichedArticle,
                            title="articles.enriched", description="Enriched articles")
redis = redis_client(settings.redis_url)
near_duplicates = NearDuplicateIndex(redis, threshold=enrich_settings.dedup_threshold,
                                     num_perm=enrich_settings.dedup_num_perm,
                                     prefix=enrich_settings.dedup_key_prefix)

SPEC = StageSpec(
    stage="enrich", model=CleanArticle, work=enrich_article,
    # enrich_article is a pure function of the message: failing once means failing always.
    failure_reason=lambda exc: f"enrichment failed: {exc!r}",
    state="enriched", status_fields=lambda a: {"enriched_at": a.enriched_at.isoformat()},
    log_event="article enriched",
    log_fields=lambda a: {"language": a.language, "keywords": a.keywords[:5],
                          "entities": len(a.entities), "near_duplicate_of": a.near_duplicate_of},
)


def signatures(results: list[EnrichedArticle]) -> list[np.ndarray]:
    return [signature(dedup_text(r.title, r.body), near_duplicates.num_perm) for r in results]


async def mark_near_duplicates(results: list[EnrichedArticle]) -> None:
    # In batch order, so a copy later in the same batch finds the original before it.
    sigs = await anyio.to_thread.run_sync(signatures, results)
    found = await near_duplicates.check_and_add_many(
        [(r.article_id, sig) for r, sig in zip(results, sigs, strict=True)])
    for result, original in zip(results, found, strict=True):
        result.near_duplicate_of = original


@stage_subscriber(broker, "enrich", settings, batch=True, max_records=settings.stage_batch_size)
async def on_clean(batch: list[CleanArticle | Any]) -> None:
    # `CleanArticle | Any`: the AsyncAPI document names the contract, while each entry stays as
    # decoded (Any matches first), so run_stage_batch validates and dead-letters it alone.
    await run_stage_batch(SPEC, batch, redis=redis, publisher=enriched,
                          after=mark_near_duplicates)


async def _warm_up() -> None:
    await anyio.to_thread.run_sync(warm_up)  # gazetteers and lingua models before the first message


app = worker_app(broker, stage="enrich", on_startup=(_warm_up,), on_shutdown=(redis.aclose,))
