"""Ingest service: publishers POST articles; each accepted one is written to `articles.raw`.

FastAPI serves HTTP; FastStream's FastAPI integration owns the Redis broker's lifecycle and
documents the published streams in AsyncAPI (/asyncapi).
"""

import logging
import uuid
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream.redis import RedisBroker
from faststream_fastapi import FastStreamAPI
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from newswire_common import keys, metrics, status
from newswire_common.broker import article_headers, queue_articles
from newswire_common.contracts import ArticleDeletion, ArticleSubmission, RawArticle, utcnow
from newswire_common.ids import article_id
from newswire_common.logging import bind_article_context, get_logger
from newswire_common.redisclient import CONNECTION_OPTIONS, redis_client
from newswire_common.settings import Settings, get_settings
from newswire_common.streams import Stream

from .limits import BodyGuard

log = get_logger("newswire.ingest")
bearer = HTTPBearer(auto_error=False, description="Publisher API key: `Bearer nw_…`")


def trace_id_from(request: Request) -> str:
    """Take the trace id from a W3C `traceparent` or `X-Request-ID` header, else create one."""
    parts = request.headers.get("traceparent", "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and all(c in "0123456789abcdef" for c in parts[1]):
        return parts[1]
    request_id = request.headers.get("x-request-id", "").strip()
    if request_id and len(request_id) <= 128 and request_id.isprintable():
        return request_id
    return uuid.uuid4().hex


def error_detail(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


def create_app(settings: Settings | None = None) -> Any:
    settings = settings or get_settings()
    broker = RedisBroker(settings.redis_url, logger=logging.getLogger("faststream.newswire"),
                         **CONNECTION_OPTIONS)
    raw_articles = broker.publisher(stream=Stream.RAW, schema=RawArticle, title="articles.raw",
                                    description="Articles as posted, waiting to be cleaned")
    raw_stream = raw_articles.stream.name  # accepted articles are queued with queue_articles
    deletions = broker.publisher(stream=Stream.ENRICHED, schema=ArticleDeletion,
                                 title="articles.enriched (deletions)",
                                 description="Requests to remove a story from search")
    redis = redis_client(settings.redis_url)
    api = FastAPI(title="Newswire ingest", version="1.0.0",
                  description="Publishers post articles here; they flow through clean, enrich, "
                              "index and become searchable.")

    async def publisher(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                               Depends(bearer)]) -> keys.Publisher | None:
        if not settings.require_api_key:
            return None
        try:
            return await keys.verify_key(redis, credentials.credentials if credentials else None)
        except keys.InvalidKey as exc:
            raise HTTPException(401, detail=str(exc),
                                headers={"WWW-Authenticate": "Bearer"}) from exc
        except keys.RevokedKey as exc:
            raise HTTPException(403, detail=str(exc)) from exc

    Publisher = Annotated[keys.Publisher | None, Depends(publisher)]

    def status_url(request: Request, aid: str) -> str:
        base = settings.public_ingest_url or str(request.base_url).rstrip("/")
        return f"{base}/v1/articles/{aid}"

    def to_raw(submission: ArticleSubmission, trace_id: str,
               who: keys.Publisher | None) -> RawArticle:
        return RawArticle(
            article_id=article_id(submission.url, submission.content), trace_id=trace_id,
            received_at=utcnow(), publisher=who.name if who else None, url=submission.url,
            title=submission.title, authors=submission.authors,
            published_at=submission.published_at, source=submission.source,
            section=submission.section, tags=submission.tags, language=submission.language,
            html=submission.html, text=submission.text,
        )

    async def accept(accepted: list[tuple[ArticleSubmission, RawArticle]]) -> None:
        """Status marks and XADDs of all the articles in one round trip; it returns once Redis
        accepted the entries, and only then do we answer 202. The entries are one command, so a
        waiting clean reader gets the batch whole, not its first entry alone (see
        run_stage_batch); MULTI/EXEC keeps the marks with them."""
        async with redis.pipeline(transaction=True) as pipe:
            status.queue_received(pipe, [raw for _, raw in accepted])
            await queue_articles(pipe, raw_stream,
                                 [(raw, raw.article_id, raw.trace_id) for _, raw in accepted])
            await pipe.execute()
        for submission, raw in accepted:
            log.info("article accepted", article_id=raw.article_id, trace_id=raw.trace_id,
                     stage="ingest", url=raw.url, publisher=raw.publisher,
                     content_chars=len(submission.content))
        metrics.INGEST_REQUESTS.labels("accepted").inc(len(accepted))

    @api.post("/v1/articles", status_code=202, summary="Submit one article",
              responses={401: {"description": "no or unknown API key"},
                         403: {"description": "revoked API key"},
                         413: {"description": "body too large"},
                         415: {"description": "not JSON"}})
    async def post_article(submission: ArticleSubmission, request: Request,
                           who: Publisher) -> dict[str, str]:
        raw = to_raw(submission, trace_id_from(request), who)
        await accept([(submission, raw)])
        return {"id": raw.article_id, "trace_id": raw.trace_id,
                "status_url": status_url(request, raw.article_id)}

    @api.post("/v1/articles/batch", summary="Submit many articles (JSON array or NDJSON)",
              responses={202: {"description": "all accepted"},
                         207: {"description": "some accepted, some rejected"},
                         400: {"description": "body is not JSON"},
                         422: {"description": "none accepted"}})
    async def post_batch(request: Request, who: Publisher) -> JSONResponse:
        body = await request.body()
        try:
            if body.lstrip().startswith(b"["):
                items = orjson.loads(body)
            else:
                items = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        except orjson.JSONDecodeError as exc:
            return JSONResponse(status_code=400, content={"detail": [{
                "loc": ["body"], "msg": f"invalid JSON: {exc}", "type": "json_invalid"}]})
        if not items:
            return JSONResponse(status_code=422, content={"detail": [{
                "loc": ["body"], "msg": "no articles in batch", "type": "empty"}]})
        base_trace = trace_id_from(request)
        results: list[dict[str, Any]] = []
        accepted_items: list[tuple[ArticleSubmission, RawArticle]] = []
        for index, item in enumerate(items):
            try:
                submission = ArticleSubmission.model_validate(item)
            except ValidationError as exc:
                metrics.INGEST_REQUESTS.labels("rejected").inc()
                results.append({"index": index, "status": 422, "detail": error_detail(exc)})
                continue
            trace = f"{base_trace}-{index}" if len(items) > 1 else base_trace
            raw = to_raw(submission, trace, who)
            accepted_items.append((submission, raw))
            results.append({"index": index, "status": 202, "id": raw.article_id,
                            "trace_id": raw.trace_id,
                            "status_url": status_url(request, raw.article_id)})
        if accepted_items:
            await accept(accepted_items)
        accepted = sum(1 for r in results if r["status"] == 202)
        code = 202 if accepted == len(results) else (207 if accepted else 422)
        return JSONResponse(status_code=code, content={
            "accepted": accepted, "rejected": len(results) - accepted, "results": results})

    @api.get("/v1/articles/{article_id}", summary="Where an article is in the pipeline",
             description="State (received, cleaned, enriched, indexed, dead_lettered, deleting, "
                         "deleted), the time of each stage, the dead-letter reason if any, and "
                         "the freshness: seconds from receipt to searchable.")
    async def get_status(article_id: str) -> JSONResponse:
        found = await status.read(redis, article_id)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "unknown article id"})
        return JSONResponse(found)

    @api.exception_handler(RequestValidationError)
    async def count_rejections(request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.INGEST_REQUESTS.labels("rejected").inc()
        return await request_validation_exception_handler(request, exc)

    @api.exception_handler(RedisConnectionError)
    @api.exception_handler(RedisTimeoutError)
    async def redis_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # Nothing was accepted: tell the publisher to retry rather than blaming its input.
        log.warning("redis unavailable, request refused", error=repr(exc)[:300])
        return JSONResponse(status_code=503, headers={"Retry-After": "2"},
                            content={"detail": "temporarily unavailable, retry shortly"})

    metrics.add_metrics_route(api)

    @api.delete("/v1/articles/{article_id}", status_code=202,
                summary="Remove a story from search (its author's count follows)")
    async def delete_article(article_id: str, request: Request, who: Publisher) -> dict[str, str]:
        if await status.read(redis, article_id) is None:
            raise HTTPException(404, detail="unknown article id")
        deletion = ArticleDeletion(article_id=article_id, trace_id=trace_id_from(request),
                                   requested_at=utcnow(), publisher=who.name if who else None)
        with bind_article_context(article_id, deletion.trace_id, stage="ingest"):
            await status.mark(redis, article_id, "deleting",
                              deleted_at=deletion.requested_at.isoformat())
            await deletions.publish(deletion, headers=article_headers(article_id,
                                                                      deletion.trace_id))
            log.info("article deletion requested", publisher=deletion.publisher)
        return {"id": article_id, "status_url": status_url(request, article_id)}

    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            await redis.ping()
        except Exception as exc:  # any failure means not ready; say why
            return JSONResponse(status_code=503, content={"status": "unavailable",
                                                          "redis": type(exc).__name__})
        return JSONResponse({"status": "ready"})

    api.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app = FastStreamAPI(broker, application=api, asyncapi_path="/asyncapi")
    app.fastapi = api  # type: ignore[attr-defined]  # for OpenAPI export and tests
    return app
