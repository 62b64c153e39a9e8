"""Search service: the reader-facing API and UI, one Meilisearch multi-search per request.

The browser talks only to this service; the Meilisearch master key stays server-side.
"""

import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from newswire_common import metrics
from newswire_common.logging import get_logger
from newswire_common.settings import Settings, get_settings
from newswire_common.streams import ARTICLES_INDEX
from newswire_index.meili import MeiliError

from .backend import BackendUnreachable, SearchBackend
from .params import SearchParams, openapi_parameters
from .params import search_request as parse_search_request
from .query import (
    SLUG,
    ParameterError,
    SearchRequest,
    author_page_queries,
    build_queries,
    shape_author,
    shape_response,
    shape_story,
    total_hits,
)

log = get_logger("newswire.search")
STATIC_DIR = Path(__file__).parent / "static"
#: What Meilisearch accepts as a document id; anything else cannot name a story (or a path).
DOCUMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")

#: The UI loads only its own files; even a rendering bug could not run injected script.
UI_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def json_response(body: Any, status_code: int = 200) -> Response:
    """orjson straight to bytes: no encoder pass over the (already plain) search results."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    key = settings.meili_master_key.get_secret_value() if settings.meili_master_key else None
    meili = SearchBackend(settings.meili_url, key, timeout=10.0)
    api = FastAPI(title="Newswire search", version="1.2.0",
                  description="Full-text search across stories and authors.")

    async def multi_search(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            with metrics.SEARCH_LATENCY.time():
                return await meili.multi_search(queries)
        except MeiliError as exc:
            if exc.code == "index_not_found":
                # A fresh install before the index worker created the indexes: nothing yet.
                log.warning("search index missing", error=str(exc))
                return [{"hits": [], "totalHits": 0, "totalPages": 0} for _ in queries]
            log.error("search failed", error=str(exc), code=exc.code)
            raise BackendError(502, "search backend error") from exc
        except BackendUnreachable as exc:
            log.error("search backend unreachable", error=repr(exc))
            raise BackendError(503, "search backend unavailable") from exc

    @api.exception_handler(ParameterError)
    async def parameter_error(_: Request, exc: ParameterError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": ["query", exc.param], "msg": str(exc), "type": "value_error"}]})

    @api.exception_handler(BackendError)
    async def backend_error(_: Request, exc: BackendError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.detail})

    async def answer(search_request: SearchRequest, started: float) -> bytes:
        queries, facet_params = build_queries(search_request)
        results = await multi_search(queries)
        body = shape_response(search_request, results, facet_params)
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return orjson.dumps(body)

    # Valid searches are answered ahead of FastAPI's router (see SearchFastPath); this route
    # documents the API and answers the rest, so every 422 keeps FastAPI's wording.
    @api.get("/v1/search", summary="Stories and authors matching a query; facet counts if asked",
             openapi_extra={"parameters": openapi_parameters(SearchParams)})
    async def search(request: Request) -> Response:
        started = time.perf_counter()
        body = await answer(parse_search_request(request.query_params), started)
        return Response(body, media_type="application/json")

    api.add_middleware(SearchFastPath, answer=answer)

    @api.get("/v1/authors/{slug}", summary="An author's profile and their stories, newest first",
             responses={404: {"description": "no author with that id"}})
    async def author_page(slug: str, page: Annotated[int, Query(ge=1, le=1000)] = 1,
                          per_page: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
        if not SLUG.match(slug):
            return json_response(status_code=404, body={"detail": "no author with that id"})
        profile, stories = await multi_search(author_page_queries(slug, page, per_page))
        if not profile["hits"]:
            return json_response(status_code=404, body={"detail": "no author with that id"})
        return json_response({
            "author": shape_author(profile["hits"][0]),
            "stories": {"hits": [shape_story(hit) for hit in stories["hits"]],
                        "total": total_hits(stories), "page": page, "per_page": per_page,
                        "total_pages": int(stories.get("totalPages", 0))},
        })

    @api.get("/v1/stories/{story_id}")
    async def story(story_id: str) -> dict[str, Any]:
        if not DOCUMENT_ID.match(story_id):
            return json_response(status_code=404, body={"detail": "no story with that id"})
        document = await meili.get_document(ARTICLES_INDEX, story_id)
        if document is None:
            return json_response(status_code=404, body={"detail": "no story with that id"})
        return document

    @api.get("/", include_in_schema=False)
    async def ui() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=UI_HEADERS)

    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        if await meili.healthy():
            return JSONResponse({"status": "ready"})
        return JSONResponse(status_code=503, content={"status": "unavailable",
                                                      "meilisearch": "unreachable"})

    metrics.add_metrics_route(api)

    @api.on_event("shutdown")
    async def close() -> None:
        await meili.aclose()

    return api


JSON_HEADERS = [(b"content-type", b"application/json")]


class SearchFastPath:
    """GET /v1/search with valid parameters, answered before FastAPI's exception middleware,
    router and dependency resolution, which cost ~0.1 ms of CPU a search (of ~0.7 ms). Any
    other request, and a search whose parameters do not validate, goes on to the app."""

    def __init__(self, app: ASGIApp,
                 answer: Callable[[SearchRequest, float], Awaitable[bytes]]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/search" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        try:
            search_request = parse_search_request(QueryParams(scope["query_string"]))
        except (RequestValidationError, ParameterError):
            return await self.app(scope, receive, send)  # the route words the 422
        try:
            status, body = 200, await self.answer(search_request, started)
        except BackendError as exc:
            status, body = exc.status, orjson.dumps({"detail": exc.detail})
        await send({"type": "http.response.start", "status": status,
                    "headers": [*JSON_HEADERS, (b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})


class BackendError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
