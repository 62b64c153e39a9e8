"""Clean stage: articles.raw -> clean_article() -> articles.clean, a batch at a time."""

from typing import Any

from newswire_common.broker import make_broker, stage_subscriber
from newswire_common.contracts import CleanArticle, RawArticle
from newswire_common.redisclient import redis_client
from newswire_common.settings import get_settings
from newswire_common.stage import StageSpec, run_stage_batch
from newswire_common.streams import Stream
from newswire_common.worker import worker_app

from .core import EmptyArticleError, clean_article

settings = get_settings()
broker = make_broker(settings, stage="clean")
cleaned = broker.publisher(stream=Stream.CLEAN, schema=CleanArticle,
                           title="articles.clean", description="Cleaned articles")
redis = redis_client(settings.redis_url)


def failure_reason(exc: BaseException) -> str:
    # clean_article is a pure function of the message: failing once means failing always.
    return str(exc) if isinstance(exc, EmptyArticleError) else f"cleaning failed: {exc!r}"


SPEC = StageSpec(
    stage="clean", model=RawArticle, work=clean_article, failure_reason=failure_reason,
    state="cleaned", status_fields=lambda a: {"cleaned_at": a.cleaned_at.isoformat()},
    log_event="article cleaned",
    log_fields=lambda a: {"title": a.title[:80], "body_chars": len(a.body),
                          "authors": [author.name for author in a.authors]},
)


@stage_subscriber(broker, "clean", settings, batch=True, max_records=settings.stage_batch_size)
async def on_raw(batch: list[RawArticle | Any]) -> None:
    # `RawArticle | Any`: the AsyncAPI document names the contract, while each entry stays as
    # decoded (Any matches first), so run_stage_batch validates and dead-letters it alone.
    await run_stage_batch(SPEC, batch, redis=redis, publisher=cleaned)


app = worker_app(broker, stage="clean")
