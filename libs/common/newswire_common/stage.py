"""Batch handling shared by the clean and enrich stages.

A stage reads up to `stage_batch_size` entries at once (whatever is waiting, never waiting for
more), runs its pure function over all of them in one worker thread, then publishes every
result and writes every status mark in a single Redis round trip. Per article this replaces a
read, a publish, a status write and an acknowledgement, each a round trip, and the framework's
per-message machinery, which together cost more CPU than cleaning a short article.

Failures stay per article: an entry that does not validate, or whose pure function raises, is
dead-lettered with its reason and the rest of the batch goes on. Errors of Redis itself
propagate, so the dead-letter middleware retries the whole batch (outputs are idempotent:
downstream stages upsert by article id).
"""

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
import redis.asyncio as aioredis
from faststream.redis.publisher.usecase import StreamPublisher
from pydantic import BaseModel, ValidationError

from . import metrics, status
from .broker import POISON_KEY, queue_articles, record_dead_letter
from .contracts import DeadLetter
from .logging import bind_article_context, get_logger
from .streams import STAGES

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)

log = get_logger("newswire.stage")


@dataclass(frozen=True)
class StageSpec(Generic[In, Out]):
    stage: str
    model: type[In]
    #: The stage's pure, CPU-bound function; runs in a worker thread.
    work: Callable[[In], Out]
    #: The dead-letter reason for an exception `work` raised.
    failure_reason: Callable[[BaseException], str]
    #: Status state and fields written when an article leaves this stage.
    state: str
    status_fields: Callable[[Out], dict[str, str]]
    log_event: str
    log_fields: Callable[[Out], dict[str, Any]]


def _work_all(work: Callable[[In], Out], articles: Sequence[In]
              ) -> list[tuple[Out | None, BaseException | None, float]]:
    outcomes: list[tuple[Out | None, BaseException | None, float]] = []
    for article in articles:
        started = time.perf_counter()
        try:
            outcomes.append((work(article), None, time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001 - a pure function failing is about this article
            outcomes.append((None, exc, time.perf_counter() - started))
    return outcomes


async def dead_letter_item(stage: str, item: Any, error: str, error_type: str) -> None:
    payload = item if isinstance(item, dict) else {"value": item}
    article_id, trace_id = payload.get("article_id"), payload.get("trace_id")
    await record_dead_letter(DeadLetter(
        stage=stage, stream=STAGES[stage][0], article_id=article_id, trace_id=trace_id,
        error=error[:2000], error_type=error_type, attempts=1, payload=payload))
    metrics.MESSAGES.labels(stage, "dead_lettered").inc()
    with bind_article_context(article_id, trace_id, stage=stage):
        log.error("message dead-lettered", error=error[:500], error_type=error_type)


async def run_stage_batch(
    spec: "StageSpec[In, Out]", items: Sequence[Any], *, redis: aioredis.Redis,
    publisher: StreamPublisher,
    after: Callable[[list[Out]], Awaitable[None]] | None = None,
) -> None:
    """Validate, work, (optionally) post-process with `after`, then publish and mark the
    results in one round trip, and log a line per article."""
    articles: list[In] = []
    for item in items:
        if isinstance(item, dict) and POISON_KEY in item:
            await dead_letter_item(spec.stage, item, item.get("error", "undecodable message"),
                                   "DecodeError")
            continue
        try:
            articles.append(spec.model.model_validate(item))
        except ValidationError as exc:
            await dead_letter_item(spec.stage, item, str(exc), "ValidationError")
    if not articles:
        return

    outcomes = await anyio.to_thread.run_sync(_work_all, spec.work, articles)
    results: list[tuple[Out, float]] = []
    for article, (result, exc, seconds) in zip(articles, outcomes, strict=True):
        if result is None:
            assert exc is not None
            await dead_letter_item(spec.stage, article.model_dump(mode="json"),
                                   spec.failure_reason(exc), type(exc).__name__)
        else:
            results.append((result, seconds))
    if not results:
        return
    if after is not None:
        await after([result for result, _ in results])

    stream = publisher.stream.name
    # The entries go in one command (queue_articles): Redis serves blocked readers after each
    # command, so XADDs one by one handed a waiting downstream reader the first entry alone, and
    # the index stage's back-fill commits stayed small or waited out their hold
    # (tests/integration/test_batch_visibility.py). MULTI/EXEC keeps the status marks with them.
    async with redis.pipeline(transaction=True) as pipe:
        await queue_articles(pipe, stream, [
            (result, result.article_id, result.trace_id)  # type: ignore[attr-defined]
            for result, _ in results])
        status.queue_marks(pipe, [
            (result.article_id, {"state": spec.state, **spec.status_fields(result)})  # type: ignore[attr-defined]
            for result, _ in results])
        await pipe.execute()

    for result, seconds in results:
        # The ids as fields, not bound context (see logging.py).
        log.info(spec.log_event, article_id=result.article_id,  # type: ignore[attr-defined]
                 trace_id=result.trace_id, stage=spec.stage,  # type: ignore[attr-defined]
                 duration_ms=round(seconds * 1000, 1), batch_size=len(items),
                 **spec.log_fields(result))
