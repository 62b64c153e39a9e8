"""Pure search logic: reader parameters -> Meilisearch multi-search queries -> API response.

No I/O here, so every rule (filters, escaping, facets, highlighting) is unit-tested directly.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from newswire_common.streams import ARTICLES_INDEX, AUTHORS_INDEX

#: Query parameter -> filterable attribute of the `articles` index. The API's facet counts are
#: keyed by the parameter name, so the UI can send a clicked value straight back.
FACET_PARAMS: dict[str, str] = {
    "author": "authors",
    "source": "source",
    "language": "language",
    "section": "section",
    "tag": "tags",
    "keyword": "keywords",
    "person": "entities.person",
    "organization": "entities.organization",
    "place": "entities.place",
}

#: Filterable, but counted only when filtered on: enrichment yields thousands of distinct
#: keywords, and counting them cost ~2-3 ms of a ~7 ms Meilisearch search (BBC corpus).
UNCOUNTED_FACETS = {"keyword"}
COUNTED_FACETS = [attr for param, attr in FACET_PARAMS.items() if param not in UNCOUNTED_FACETS]

Sort = Literal["relevance", "newest"]
NEWEST_FIRST = ["published_at_ts:desc", "indexed_at_ts:desc"]

#: Highlight tags no article contains: the API turns them into segments, never into markup.
HIGHLIGHT_PRE = "\ue000"
HIGHLIGHT_POST = "\ue001"
_HIGHLIGHT = re.compile(f"{HIGHLIGHT_PRE}(.*?){HIGHLIGHT_POST}", re.DOTALL)

#: What a result card needs. Meilisearch repeats every retrieved attribute in `_formatted`, so
#: the long keyword and entity lists (in GET /v1/stories/{id}) would double the answer's size.
STORY_FIELDS = ["id", "title", "authors", "author_ids", "url", "published_at", "source",
                "section", "language", "tags", "summary", "near_duplicate_of"]
AUTHOR_FIELDS = ["id", "name", "bio", "article_count", "latest_story_titles", "latest_stories"]
AUTHORS_PER_SEARCH = 6
SNIPPET_WORDS = 32
BIO_SNIPPET_WORDS = 24
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


class ParameterError(ValueError):
    """A reader-supplied parameter is invalid; `param` names it for the 422 answer."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: Sort = "relevance"
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: int | None = None
    date_to: int | None = None
    #: Count facet values too. Off unless asked: counting the entity facets is most of what a
    #: search costs Meilisearch (BBC corpus: ~6 ms CPU with them, ~3.5 ms without).
    facets: bool = False


def quote(value: str) -> str:
    """A Meilisearch filter string literal: the value can never end the string early."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_date(param: str, value: str, *, end_of_day: bool) -> int:
    """ISO date or datetime -> unix seconds (UTC). A bare `to` date includes that whole day."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            if end_of_day:
                moment += timedelta(days=1, seconds=-1)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise ParameterError(param, "expected an ISO date (YYYY-MM-DD) or datetime") from None
    return int(moment.timestamp())


def facet_filter(attribute: str, values: list[str]) -> str:
    """Any of the values (OR) within one facet."""
    return " OR ".join(f"{attribute} = {quote(v)}" for v in values)


def build_filter(request: SearchRequest, *, without: str | None = None) -> list[str]:
    """Meilisearch filter as a list (AND of its items); `without` leaves one facet out."""
    clauses = [facet_filter(FACET_PARAMS[param], values)
               for param, values in request.filters.items() if values and param != without]
    if request.date_from is not None:
        clauses.append(f"published_at_ts >= {request.date_from}")
    if request.date_to is not None:
        clauses.append(f"published_at_ts <= {request.date_to}")
    return clauses


def story_query(request: SearchRequest) -> dict[str, Any]:
    query: dict[str, Any] = {
        "indexUid": ARTICLES_INDEX, "q": request.q,
        "page": request.page, "hitsPerPage": request.per_page,
        "filter": build_filter(request),
        "attributesToRetrieve": STORY_FIELDS,
        "attributesToHighlight": ["title", "body_head"], "attributesToCrop": ["body_head"],
        "cropLength": SNIPPET_WORDS, "cropMarker": "…",
        "highlightPreTag": HIGHLIGHT_PRE, "highlightPostTag": HIGHLIGHT_POST,
    }
    if request.sort == "newest":
        query["sort"] = NEWEST_FIRST
    if request.facets:
        query["facets"] = COUNTED_FACETS
    return query


def disjunctive_facet_queries(request: SearchRequest) -> list[tuple[str, dict[str, Any]]]:
    """For each facet the reader filtered on, counts as if that facet were not filtered, so the
    other values of that facet stay visible (and clickable) with honest counts."""
    queries: list[tuple[str, dict[str, Any]]] = []
    if not request.facets:
        return queries
    for param, values in request.filters.items():
        if values:
            queries.append((param, {
                "indexUid": ARTICLES_INDEX, "q": request.q, "limit": 0,
                "filter": build_filter(request, without=param), "facets": [FACET_PARAMS[param]],
            }))
    return queries


def author_query(q: str) -> dict[str, Any]:
    query: dict[str, Any] = {
        "indexUid": AUTHORS_INDEX, "q": q, "limit": AUTHORS_PER_SEARCH,
        "attributesToRetrieve": AUTHOR_FIELDS,
        "attributesToHighlight": ["name"], "attributesToCrop": ["bio"],
        "cropLength": BIO_SNIPPET_WORDS, "cropMarker": "…",
        "highlightPreTag": HIGHLIGHT_PRE, "highlightPostTag": HIGHLIGHT_POST,
    }
    if not q:
        query["sort"] = ["article_count:desc"]
    return query


def build_queries(request: SearchRequest) -> tuple[list[dict[str, Any]], list[str]]:
    """All queries for one reader search (one round trip), and which facet each extra one is."""
    extra = disjunctive_facet_queries(request)
    queries = [story_query(request), author_query(request.q), *(q for _, q in extra)]
    return queries, [param for param, _ in extra]


def segments(text: str | None) -> list[dict[str, Any]]:
    """Highlighted text as [{text, match}] pieces; the UI renders each with textContent.

    Split on the sentinels (string methods in C: ~2x faster than the regex, ~20 pieces per
    search); text whose sentinels do not pair up (never expected) takes the regex path."""
    if not text:
        return []
    first, *rest = text.split(HIGHLIGHT_PRE)
    if HIGHLIGHT_POST in first:
        return _segments_unpaired(text)
    out: list[dict[str, Any]] = [{"text": first, "match": False}] if first else []
    for part in rest:
        match, paired, after = part.partition(HIGHLIGHT_POST)
        if not paired or HIGHLIGHT_POST in after:
            return _segments_unpaired(text)
        if match:
            out.append({"text": match, "match": True})
        if after:
            out.append({"text": after, "match": False})
    return out


def _segments_unpaired(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    position = 0
    for found in _HIGHLIGHT.finditer(text):
        if found.start() > position:
            out.append({"text": text[position:found.start()], "match": False})
        if found.group(1):
            out.append({"text": found.group(1), "match": True})
        position = found.end()
    if position < len(text):
        out.append({"text": text[position:], "match": False})
    # Unpaired sentinels must not reach readers either.
    for piece in out:
        piece["text"] = piece["text"].replace(HIGHLIGHT_PRE, "").replace(HIGHLIGHT_POST, "")
    return out


def plain(pieces: list[dict[str, Any]]) -> str:
    return "".join(piece["text"] for piece in pieces)


def shape_story(hit: dict[str, Any]) -> dict[str, Any]:
    formatted = hit.get("_formatted") or {}
    title = segments(formatted.get("title") or hit.get("title"))
    snippet = segments(formatted.get("body_head") or formatted.get("body"))
    story = {name: hit.get(name) for name in STORY_FIELDS}
    story["snippet"] = plain(snippet)
    story["highlight"] = {"title": title, "snippet": snippet}
    return story


def shape_author(hit: dict[str, Any]) -> dict[str, Any]:
    formatted = hit.get("_formatted") or {}
    name = segments(formatted.get("name") or hit.get("name"))
    bio = segments(formatted.get("bio"))
    author = {name_: hit.get(name_) for name_ in AUTHOR_FIELDS}
    author["article_count"] = author["article_count"] or 0
    author["latest_story_titles"] = author["latest_story_titles"] or []
    author["latest_stories"] = author["latest_stories"] or []
    author["bio_snippet"] = plain(bio)
    author["highlight"] = {"name": name, "bio_snippet": bio}
    return author


def total_hits(result: dict[str, Any]) -> int:
    return int(result.get("totalHits", result.get("estimatedTotalHits", 0)))


def shape_response(request: SearchRequest, results: list[dict[str, Any]],
                   facet_params: list[str]) -> dict[str, Any]:
    stories, authors, *facet_results = results
    body: dict[str, Any] = {
        "query": request.q,
        "sort": request.sort,
        "filters": {k: v for k, v in request.filters.items() if v},
        "stories": {
            "hits": [shape_story(hit) for hit in stories["hits"]],
            "total": total_hits(stories),
            "page": request.page, "per_page": request.per_page,
            "total_pages": int(stories.get("totalPages", 0)),
            "processing_ms": stories.get("processingTimeMs"),
        },
        "authors": {
            "hits": [shape_author(hit) for hit in authors["hits"]],
            "total": total_hits(authors),
        },
    }
    if request.facets:
        distribution = stories.get("facetDistribution") or {}
        facets = {param: distribution.get(attr, {}) for param, attr in FACET_PARAMS.items()}
        for param, result in zip(facet_params, facet_results, strict=True):
            facets[param] = (result.get("facetDistribution") or {}).get(FACET_PARAMS[param], {})
        body["stories"]["facets"] = facets
    return body


def author_page_queries(slug: str, page: int, per_page: int) -> list[dict[str, Any]]:
    """The author's profile and their stories, newest first, in one round trip."""
    return [
        {"indexUid": AUTHORS_INDEX, "q": "", "limit": 1, "filter": f"id = {quote(slug)}",
         "attributesToRetrieve": AUTHOR_FIELDS},
        {"indexUid": ARTICLES_INDEX, "q": "", "page": page, "hitsPerPage": per_page,
         "filter": f"author_ids = {quote(slug)}", "sort": NEWEST_FIRST,
         "attributesToRetrieve": STORY_FIELDS, "attributesToCrop": ["body_head"],
         "cropLength": SNIPPET_WORDS, "cropMarker": "…"},
    ]
