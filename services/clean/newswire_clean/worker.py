"""Clean stage: articles.raw -> clean_article() -> articles.clean."""

import anyio
from newswire_common.broker import PermanentError, article_headers, make_broker, stage_subscriber
from newswire_common.contracts import CleanArticle, RawArticle
from newswire_common.logging import get_logger
from newswire_common.settings import get_settings
from newswire_common.streams import Stream
from newswire_common.worker import worker_app

from .core import EmptyArticleError, clean_article

settings = get_settings()
broker = make_broker(settings, stage="clean")
cleaned = broker.publisher(stream=Stream.CLEAN, schema=CleanArticle,
                           title="articles.clean", description="Cleaned articles")
log = get_logger("newswire.clean")


@stage_subscriber(broker, "clean", settings)
async def on_raw(article: RawArticle) -> None:
    try:
        # CPU-bound extraction runs off the event loop so health checks stay responsive.
        result = await anyio.to_thread.run_sync(clean_article, article)
    except EmptyArticleError as exc:
        raise PermanentError(str(exc)) from exc
    await cleaned.publish(result, headers=article_headers(result.article_id, result.trace_id))
    log.info("article cleaned", title=result.title[:80], body_chars=len(result.body),
             authors=[a.name for a in result.authors])


app = worker_app(broker, title="newswire clean")
