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

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import aiohttp
import httpx
import orjson
import pydantic_core
import redis.asyncio as aioredis
import redis.exceptions
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.message import StreamMessage
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.parser.binary import BinaryMessageFormatV1
from pydantic import ValidationError

from . import metrics
from .contracts import DeadLetter
from .logging import bind_article_context, get_logger
from .redisclient import CONNECTION_OPTIONS, redis_client
from .settings import Settings
from .streams import STAGES, Stream

log = get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

TRACE_HEADER = "trace_id"
ARTICLE_HEADER = "article_id"


class PermanentError(Exception):
    """The message can never succeed as it is (bad content); dead-letter it at once."""


class TransientError(Exception):
    """A dependency is unavailable for now; retry with backoff, never dead-letter for it."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError, ConnectionError, TimeoutError, asyncio.TimeoutError, httpx.TransportError,
    aiohttp.ClientConnectionError,
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    status = getattr(exc, "status", None)  # e.g. MeiliError: 5xx and 429 are worth retrying
    return isinstance(status, int) and (status >= 500 or status == 429)


def backoff_delays(first: float = 0.1, cap: float = 5.0) -> "Iterator[float]":
    """Capped exponential backoff: 0.1, 0.2, 0.4 … 5, 5, 5 seconds."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


def article_headers(article_id: str, trace_id: str) -> dict[str, str]:
    return {ARTICLE_HEADER: article_id, TRACE_HEADER: trace_id}


def _ids_from(msg: StreamMessage[Any]) -> tuple[str | None, str | None]:
    headers = msg.headers or {}
    return headers.get(ARTICLE_HEADER), headers.get(TRACE_HEADER)


def _payload_of(msg: StreamMessage[Any]) -> Any:
    if not isinstance(msg.body, bytes | str):
        return msg.body  # a batch, decoded by batch_parser
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


async def encode_entry(body: Any, headers: dict[str, str] | None = None,
                       correlation_id: str = "newswire", serializer: Any = None) -> bytes:
    """Encode a message exactly as FastStream publishes it (the inverse of `decode_entry`), for
    entries written with a plain XADD. `serializer`: the broker's for pydantic models."""
    return await BinaryMessageFormatV1.encode(message=body, reply_to=None, headers=headers or {},
                                              correlation_id=correlation_id,
                                              serializer=serializer)


#: XADD every entry of a batch in one command. Inside MULTI, redis-py reads a QUEUED reply per
#: queued command: with one XADD per article that cost ~20 µs of a stage's CPU per article
#: (64 BBC-sized entries per batch: 34 µs per entry as XADDs, 13 as one EVAL; Redis +2 µs).
_XADD_ALL = """
for i = 1, #ARGV do
  redis.call('XADD', KEYS[1], '*', '__data__', ARGV[i])
end
return #ARGV
"""


async def queue_articles(pipe: "aioredis.client.Pipeline", stream: str,
                         messages: Sequence[tuple[Any, str, str]]) -> None:
    """Queue on `pipe` the entries of (message, article id, trace id), in order, each byte for
    byte what `publisher.publish(message, headers=article_headers(…), correlation_id=trace_id,
    pipeline=pipe)` writes.

    Why not the publisher: per call it deep-copies its stream definition twice and runs a
    publish-command and middleware chain, which cost the clean stage as much CPU as cleaning a
    BBC article. The publisher objects stay, for the AsyncAPI document."""
    entries = [await encode_entry(message, article_headers(article_id, trace_id),
                                  correlation_id=trace_id, serializer=_PYDANTIC_JSON)
               for message, article_id, trace_id in messages]
    if entries:
        pipe.eval(_XADD_ALL, 1, stream, *entries)


class _PydanticJson:
    """The broker's serializer for a message body (fast_depends' pydantic one: to_json)."""

    @staticmethod
    def encode(message: Any) -> bytes:
        return pydantic_core.to_json(message)


_PYDANTIC_JSON = _PydanticJson()


def make_dead_letter_middleware(stage: str, settings: Settings) -> type[BaseMiddleware]:
    stream = STAGES[stage][0]

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
            article_id, trace_id = _ids_from(msg)
            deliveries = max(1, len(msg.raw_message.get("message_ids") or [1]))
            with bind_article_context(article_id, trace_id, stage=stage), \
                    metrics.PROCESSING.labels(stage).time():
                delays = backoff_delays()
                give_up_at = time.monotonic() + settings.transient_retry_s
                while True:
                    try:
                        result = await call_next(msg)
                        metrics.MESSAGES.labels(stage, "processed").inc(deliveries)
                        return result
                    except Exception as exc:
                        metrics.MESSAGES.labels(stage, "retried").inc(deliveries)
                        if is_transient(exc):
                            # Dependency down: wait and retry here; past the retry window leave
                            # the message pending so another consumer (or we) reclaim it later.
                            if time.monotonic() >= give_up_at:
                                log.warning("dependency still unavailable, message left pending",
                                            error=repr(exc)[:300])
                                raise
                            delay = next(delays)
                            log.warning("transient failure, retrying", error=repr(exc)[:300],
                                        retry_in_s=delay)
                            await asyncio.sleep(delay)
                            continue
                        permanent = isinstance(exc, PermanentError | ValidationError)
                        attempts = await _delivery_count(msg)
                        if not permanent and attempts < settings.max_deliveries:
                            log.warning("message failed, left pending for retry",
                                        error=repr(exc)[:500], attempts=attempts)
                            raise
                        await dead_letter(msg, stage=stage, stream=stream, exc=exc,
                                          attempts=attempts)
                        metrics.MESSAGES.labels(stage, "dead_lettered").inc(deliveries)
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
                      attempts: int) -> None:
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
    await record_dead_letter(entry, correlation_id=msg.correlation_id)
    log.error("message dead-lettered", error=entry.error[:500], error_type=entry.error_type,
              attempts=attempts)


async def record_dead_letter(entry: DeadLetter, *, correlation_id: str = "newswire") -> None:
    """Append to the dead-letter stream and mark the article's status with the reason.

    Written with XADD in FastStream's own message format, so tools and replays read it like any
    other message (the middleware has no handle on its broker)."""
    data = await encode_entry(entry.model_dump(mode="json"), correlation_id=correlation_id,
                              headers=article_headers(entry.article_id or "",
                                                      entry.trace_id or ""))
    await status_redis().xadd(Stream.DEAD, {"__data__": data})
    if entry.article_id:
        from . import status

        await status.mark(status_redis(), entry.article_id, "dead_lettered",
                          dead_lettered_at=entry.failed_at.isoformat(),
                          dead_letter_stage=entry.stage, dead_letter_reason=entry.error[:500])


_status_redis: "aioredis.Redis | None" = None


def status_redis() -> "aioredis.Redis":
    """One client per process for status marks made outside a service's own client."""
    global _status_redis
    if _status_redis is None:
        from .settings import get_settings

        _status_redis = redis_client(get_settings().redis_url)
    return _status_redis


POISON_KEY = "__poison__"


async def batch_parser(msg: dict[str, Any], original: Callable[..., Awaitable[Any]]) -> Any:
    """A batch of stream entries as one message whose body is the list of decoded entries.

    FastStream's own batch parser decodes every entry, encodes the whole list back to JSON, and
    its decoder parses that JSON again: for a batch of 64 articles, two extra passes over ~300 KB
    on every stage. Here each entry is decoded once and `batch_decoder` hands the list on. The
    message is otherwise FastStream's own (built by `original` from no entries), with the headers
    FastStream would give it: the first entry's, plus each entry's in `batch_headers`.

    FastStream fails the whole batch on one undecodable entry, before any middleware can
    dead-letter it, and the batch would be redelivered forever. Such an entry becomes a marker
    the handler dead-letters; the rest go on."""
    bodies: list[Any] = []
    batch_headers: list[dict[str, Any]] = []
    for fields in msg.get("data", []):
        raw = fields.get(b"__data__", fields) if isinstance(fields, dict) else fields
        try:
            body, headers = BinaryMessageFormatV1.parse(raw)
            bodies.append(orjson.loads(body))
        except Exception as exc:
            bodies.append({POISON_KEY: repr(raw)[:2000], "error": f"undecodable message: {exc!r}"})
            headers = {}
        batch_headers.append(headers)
    message = await original({**msg, "data": []})
    first = batch_headers[0] if batch_headers else {}
    # The raw entries are not needed again (acknowledgement uses message_ids; a dead letter,
    # the decoded body): dropping them frees ~4 KB per story while a batch waits for its
    # commit, which in a back-fill's index stage is seconds.
    message.raw_message = {**msg, "data": [{} for _ in bodies]}
    message.body = bodies
    message.batch_headers = batch_headers
    message.headers = {**first, "content-type": "application/json"}
    generated_id = message.message_id
    message.reply_to = first.get("reply_to", "")
    message.correlation_id = first.get("correlation_id", generated_id)
    message.message_id = first.get("message_id", generated_id)
    return message


async def batch_decoder(msg: StreamMessage[Any], original: Callable[..., Awaitable[Any]]) -> Any:
    """The entries `batch_parser` decoded already."""
    return msg.body if isinstance(msg.body, list) else await original(msg)


def make_broker(settings: Settings, *, stage: str | None = None) -> RedisBroker:
    middlewares = [make_dead_letter_middleware(stage, settings)] if stage else []
    # FastStream's own "Received"/"Processed" lines go to DEBUG: each stage already logs one
    # line per article with its ids and duration, and two more per message cost real CPU.
    broker = RedisBroker(settings.redis_url, middlewares=middlewares, graceful_timeout=30.0,
                         logger=logging.getLogger("faststream.newswire"),
                         log_level=logging.DEBUG, **CONNECTION_OPTIONS)
    if stage:
        # Declared so each stage's AsyncAPI document shows where its failures go; entries are
        # written by `record_dead_letter`.
        broker.publisher(stream=Stream.DEAD, schema=DeadLetter, title="articles.dead",
                         description="Messages that failed permanently, with the reason")
    return broker


def reclaim_sweep_ms(reclaim_idle_ms: int) -> int:
    """The reclaimer's pause between sweeps of the pending list: six sweeps per idle threshold
    (5 s for the default 30 s), at least 0.1 s.

    FastStream's reclaimer walks the pending list with XAUTOCLAIM COUNT 1 (Redis looks at ten
    entries per call) and pauses only once it reached the end. In a back-fill the index stage
    holds ~1,000 entries pending until their Meilisearch task succeeds, so a sweep is ~100 calls
    back to back; once a second, that made XAUTOCLAIM Redis's most called command (2,692 calls
    in a 6,675-article back-fill, against 1,527 XREADGROUPs) for entries that cannot be idle
    enough to claim for 30 s anyway."""
    return max(100, min(5000, reclaim_idle_ms // 6))


def stage_subscriber(broker: RedisBroker, stage: str, settings: Settings, *,
                     batch: bool = False, max_records: int | None = None,
                     readers: int = 1) -> Callable[[F], F]:
    """Register `handler` as reader and reclaimer of the stage's input stream.

    `readers` > 1 runs that many readers in the group (consumers `<name>`, `<name>.1`, …), so
    the handler runs on up to that many messages (or batches) at once."""
    stream, group, _ = STAGES[stage]
    consumer = f"{stage}-{settings.consumer_name}"
    # XREADGROUP without COUNT hands the whole backlog to the first replica that reads: the
    # others idle, and its entries sit pending until reclaimers deliver them again (duplicates).
    max_records = max_records or (100 if batch else 1)

    def register(handler: F) -> F:
        parser = {"parser": batch_parser, "decoder": batch_decoder} if batch else {}
        for i in range(readers):
            reader = broker.subscriber(
                stream=StreamSub(stream, group=group, consumer=f"{consumer}.{i}" if i else consumer,
                                 batch=batch, max_records=max_records,
                                 polling_interval=settings.poll_interval_ms),
                ack_policy=AckPolicy.NACK_ON_ERROR, **parser,
                title=f"{stage}:{stream}" if not i else f"{stage}:{stream}:{i}",
                include_in_schema=not i,
            )
            handler = reader(handler)
        reclaimer = broker.subscriber(
            stream=StreamSub(stream, group=group, consumer=consumer, batch=batch,
                             max_records=max_records,
                             polling_interval=reclaim_sweep_ms(settings.reclaim_idle_ms),
                             min_idle_time=settings.reclaim_idle_ms),
            ack_policy=AckPolicy.NACK_ON_ERROR, **parser,
            title=f"{stage}:{stream}:reclaim",
            include_in_schema=False,
        )
        return reclaimer(handler)

    return register
