"""Clean stage: articles.raw -> clean_article() -> articles.clean."""

import time

import anyio
from newswire_common import status
from newswire_common.broker import PermanentError, article_headers, make_broker, stage_subscriber
from newswire_common.contracts import CleanArticle, RawArticle
from newswire_common.logging import get_logger
from newswire_common.redisclient import redis_client
from newswire_common.settings import get_settings
from newswire_common.streams import Stream
from newswire_common.worker import worker_app

from .core import EmptyArticleError, clean_article

settings = get_settings()
broker = make_broker(settings, stage="clean")
cleaned = broker.publisher(stream=Stream.CLEAN, schema=CleanArticle,
                           title="articles.clean", description="Cleaned articles")
redis = redis_client(settings.redis_url)
log = get_logger("newswire.clean")


@stage_subscriber(broker, "clean", settings)
async def on_raw(article: RawArticle) -> None:
    started = time.perf_counter()
    try:
        # CPU-bound extraction runs off the event loop so health checks stay responsive.
        result = await anyio.to_thread.run_sync(clean_article, article)
    except EmptyArticleError as exc:
        raise PermanentError(str(exc)) from exc
    except Exception as exc:
        # clean_article is a pure function of the message: failing once means failing always.
        raise PermanentError(f"cleaning failed: {exc!r}") from exc
    await cleaned.publish(result, headers=article_headers(result.article_id, result.trace_id))
    await status.mark(redis, result.article_id, "cleaned",
                      cleaned_at=result.cleaned_at.isoformat())
    log.info("article cleaned", duration_ms=round((time.perf_counter() - started) * 1000, 1),
             title=result.title[:80], body_chars=len(result.body),
             authors=[a.name for a in result.authors])


app = worker_app(broker, stage="clean")
