"""Search service: stories and authors from one Meilisearch multi-search."""

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from newswire_common import metrics
from newswire_common.logging import get_logger
from newswire_common.settings import Settings, get_settings
from newswire_common.streams import ARTICLES_INDEX, AUTHORS_INDEX
from newswire_index.meili import Meili, MeiliError

log = get_logger("newswire.search")

STORY_FIELDS = ["id", "title", "authors", "author_ids", "url", "published_at", "source",
                "summary", "section", "language", "keywords", "entities", "near_duplicate_of"]
AUTHOR_FIELDS = ["id", "name", "bio", "article_count"]


def build_queries(q: str, page: int, per_page: int) -> list[dict[str, Any]]:
    return [
        {"indexUid": ARTICLES_INDEX, "q": q, "page": page, "hitsPerPage": per_page,
         "attributesToRetrieve": STORY_FIELDS, "attributesToHighlight": ["title", "body"],
         "attributesToCrop": ["body"], "cropLength": 30, "highlightPreTag": "<mark>",
         "highlightPostTag": "</mark>"},
        {"indexUid": AUTHORS_INDEX, "q": q, "limit": 5, "attributesToRetrieve": AUTHOR_FIELDS},
    ]


def shape_story(hit: dict[str, Any]) -> dict[str, Any]:
    formatted = hit.pop("_formatted", {}) or {}
    story = {field: hit.get(field) for field in STORY_FIELDS}
    story["snippet"] = formatted.get("body")
    story["title_highlighted"] = formatted.get("title")
    return story


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    key = settings.meili_master_key.get_secret_value() if settings.meili_master_key else None
    meili = Meili(settings.meili_url, key, timeout=10.0)
    api = FastAPI(title="Newswire search", version="1.0.0",
                  description="Full-text search across stories and authors.")

    @api.get("/v1/search")
    async def search(q: Annotated[str, Query(max_length=500)] = "",
                     page: Annotated[int, Query(ge=1, le=1000)] = 1,
                     per_page: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
        try:
            with metrics.SEARCH_LATENCY.time():
                result = await meili.multi_search(build_queries(q, page, per_page))
        except MeiliError as exc:
            log.error("search failed", error=str(exc), code=exc.code)
            raise HTTPException(status_code=502, detail="search backend error") from exc
        stories, authors = result["results"]
        return {
            "query": q,
            "stories": {"hits": [shape_story(h) for h in stories["hits"]],
                        "total": stories.get("totalHits", stories.get("estimatedTotalHits", 0)),
                        "page": page, "per_page": per_page},
            "authors": {"hits": authors["hits"],
                        "total": authors.get("estimatedTotalHits", len(authors["hits"]))},
        }

    @api.get("/v1/stories/{story_id}")
    async def story(story_id: str) -> dict[str, Any]:
        document = await meili.get_document(ARTICLES_INDEX, story_id)
        if document is None:
            raise HTTPException(status_code=404, detail="no story with that id")
        return document

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
