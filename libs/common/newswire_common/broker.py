"""FastStream Redis broker wiring shared by the stream workers.

Every stage subscribes twice to its input stream in its consumer group:

* the *reader* gets new entries with XREADGROUP;
* the *reclaimer* takes over entries that another consumer left pending for longer than
  `reclaim_idle_ms` (a crashed worker, a failed attempt) with XAUTOCLAIM.

Both call the same handler. Messages are acknowledged only when the handler returns, so a
crash leaves them pending for the reclaimer (at-least-once). `DeadLetterMiddleware` moves a
message that fails permanently, or too often, to the dead-letter stream and acknowledges it,
so one poison message never blocks a stage.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.message import StreamMessage
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.parser.binary import BinaryMessageFormatV1
from pydantic import ValidationError

from .contracts import DeadLetter
from .logging import bind_article_context, get_logger
from .settings import Settings
from .streams import STAGES, Stream

log = get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

TRACE_HEADER = "trace_id"
ARTICLE_HEADER = "article_id"


class PermanentError(Exception):
    """The message can never succeed as it is (bad content); dead-letter it at once."""


def article_headers(article_id: str, trace_id: str) -> dict[str, str]:
    return {ARTICLE_HEADER: article_id, TRACE_HEADER: trace_id}


def _ids_from(msg: StreamMessage[Any]) -> tuple[str | None, str | None]:
    headers = msg.headers or {}
    return headers.get(ARTICLE_HEADER), headers.get(TRACE_HEADER)


def _payload_of(msg: StreamMessage[Any]) -> Any:
    try:
        return orjson.loads(msg.body)
    except orjson.JSONDecodeError:
        return msg.body.decode("utf-8", "replace") if isinstance(msg.body, bytes) else msg.body


def decode_entry(fields: dict[bytes, bytes]) -> tuple[Any, dict[str, Any]]:
    """Decode a raw stream entry written by FastStream into (body, headers), for tools."""
    raw = fields.get(b"__data__")
    if raw is None:
        return {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}, {}
    body, headers = BinaryMessageFormatV1.parse(raw)
    try:
        return orjson.loads(body), headers
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace"), headers


def make_dead_letter_middleware(stage: str, settings: Settings,
                                broker_ref: dict[str, RedisBroker] | None = None,
                                ) -> type[BaseMiddleware]:
    stream = STAGES[stage][0]

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
            article_id, trace_id = _ids_from(msg)
            with bind_article_context(article_id, trace_id, stage=stage):
                try:
                    return await call_next(msg)
                except Exception as exc:
                    permanent = isinstance(exc, PermanentError | ValidationError)
                    attempts = await _delivery_count(msg)
                    if not permanent and attempts < settings.max_deliveries:
                        log.warning("message failed, left pending for retry",
                                    error=repr(exc)[:500], attempts=attempts)
                        raise
                    await dead_letter(msg, stage=stage, stream=stream, exc=exc,
                                      attempts=attempts,
                                      broker=(broker_ref or {}).get("broker"))
                    return None

    return DeadLetterMiddleware


async def _delivery_count(msg: StreamMessage[Any]) -> int:
    getter = getattr(msg, "get_delivery_count", None)
    if getter is None:
        return 1
    try:
        return int(await getter())
    except Exception:  # the count is advisory; never let it break failure handling
        return 1


async def dead_letter(msg: StreamMessage[Any], *, stage: str, stream: str, exc: BaseException,
                      attempts: int, broker: RedisBroker | None = None) -> None:
    if broker is None:  # FastStream 0.7 no longer has a module-level `faststream.context`
        from faststream import context

        broker = context.get("broker")
    article_id, trace_id = _ids_from(msg)
    payload = _payload_of(msg)
    if isinstance(payload, dict):
        article_id = article_id or payload.get("article_id")
        trace_id = trace_id or payload.get("trace_id")
    ids = msg.raw_message.get("message_ids") or []
    entry = DeadLetter(
        stage=stage, stream=stream, message_id=ids[0].decode() if ids else None,
        article_id=article_id, trace_id=trace_id, error=str(exc)[:2000] or repr(exc),
        error_type=type(exc).__name__, attempts=attempts, payload=payload,
        headers={k: v for k, v in (msg.headers or {}).items() if isinstance(v, str)},
    )
    await broker.publish(entry, stream=Stream.DEAD,
                         headers=article_headers(article_id or "", trace_id or ""))
    log.error("message dead-lettered", error=entry.error[:500], error_type=entry.error_type,
              attempts=attempts)


def make_broker(settings: Settings, *, stage: str | None = None) -> RedisBroker:
    # The dead-letter middleware publishes through this broker, created after the middleware.
    broker_ref: dict[str, RedisBroker] = {}
    middlewares = [make_dead_letter_middleware(stage, settings, broker_ref)] if stage else []
    broker = RedisBroker(settings.redis_url, middlewares=middlewares, graceful_timeout=30.0,
                         log_level=10)
    broker_ref["broker"] = broker
    return broker


def stage_subscriber(broker: RedisBroker, stage: str, settings: Settings, *,
                     batch: bool = False, max_records: int | None = None,
                     max_workers: int = 1) -> Callable[[F], F]:
    """Register `handler` as reader and reclaimer of the stage's input stream.

    `max_workers` > 1 runs that many handler calls concurrently (FastStream acks each message
    when its own call returns, so at-least-once holds); batch subscribers ignore it.
    """
    stream, group, _ = STAGES[stage]
    consumer = f"{stage}-{settings.consumer_name}"
    concurrency: dict[str, Any] = {"max_workers": max_workers} if max_workers > 1 else {}

    def register(handler: F) -> F:
        reader = broker.subscriber(
            stream=StreamSub(stream, group=group, consumer=consumer, batch=batch,
                             max_records=max_records, polling_interval=settings.poll_interval_ms),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{stage}:{stream}",
            **concurrency,
        )
        reclaimer = broker.subscriber(
            stream=StreamSub(stream, group=group, consumer=consumer, batch=batch,
                             max_records=max_records, polling_interval=1000,
                             min_idle_time=settings.reclaim_idle_ms),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{stage}:{stream}:reclaim",
            include_in_schema=False,
            **concurrency,
        )
        return reclaimer(reader(handler))

    return register
