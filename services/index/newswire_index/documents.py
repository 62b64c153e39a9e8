"""Meilisearch documents built from enriched articles, and the index settings.

Pure functions: `to_documents(enriched) -> (story, authors)`.
"""

from typing import Any

from newswire_common.contracts import EnrichedArticle
from newswire_common.ids import slugify_name

#: Words that mean the same thing in news copy. Meilisearch applies multi-word synonyms both
#: ways, so "ISIL" finds a story that only says "ISIS" and vice versa.
SYNONYM_GROUPS: list[list[str]] = [
    ["isis", "isil", "islamic state", "daesh"],
    ["usa", "united states", "america"],
    ["uk", "united kingdom", "britain", "great britain"],
    ["eu", "european union"],
    ["un", "united nations"],
    ["nato", "north atlantic treaty organization"],
    ["pm", "prime minister"],
    ["nhs", "national health service"],
    ["gdp", "gross domestic product"],
    ["ceo", "chief executive"],
    ["mp", "member of parliament"],
    ["al-qaeda", "al qaeda", "al-qaida", "al qaida"],
]


def synonyms_from_groups(groups: list[list[str]]) -> dict[str, list[str]]:
    """Meilisearch wants word -> other words; every word of a group maps to all the others."""
    return {word: [other for other in group if other != word] for group in groups for word in group}


#: Short English function words: ignored in queries so "the war in iraq" ranks like "war iraq".
STOP_WORDS: list[str] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have",
    "he", "her", "his", "in", "into", "is", "it", "its", "of", "on", "or", "she", "that", "the",
    "their", "they", "this", "to", "was", "were", "which", "will", "with",
]

#: Attributes readers can filter on. entities.* fill in once enrichment extracts entities.
FACET_ATTRIBUTES: list[str] = [
    "authors", "source", "language", "section", "tags", "keywords",
    "entities.person", "entities.organization", "entities.place",
]

ARTICLE_SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["title", "authors", "summary", "body", "entity_names", "keywords"],
    "filterableAttributes": [
        *FACET_ATTRIBUTES, "author_ids", "published_at_ts", "near_duplicate_of", "publisher",
    ],
    "sortableAttributes": ["published_at_ts", "indexed_at_ts"],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    "displayedAttributes": ["*"],
    "proximityPrecision": "byAttribute",
    # Nothing searches within facet values; building that index cost every batch ~0.1-0.2 s of
    # CPU on 8,900 stories (services/index/probe_batches.py).
    "facetSearch": False,
    # Search-as-you-type: the last query word also matches as a prefix.
    "prefixSearch": "indexingTime",
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        # Years, scores and prices must match exactly: "2004" must not find "2005".
        "disableOnNumbers": True,
    },
    "synonyms": synonyms_from_groups(SYNONYM_GROUPS),
    "stopWords": STOP_WORDS,
    "faceting": {"maxValuesPerFacet": 50, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 1000},
}

AUTHOR_SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["name", "bio", "latest_story_titles"],
    "filterableAttributes": ["id"],
    "facetSearch": False,
    "sortableAttributes": ["article_count"],
    "displayedAttributes": ["*"],
    "prefixSearch": "indexingTime",
    "typoTolerance": {"enabled": True, "disableOnNumbers": True},
    "synonyms": synonyms_from_groups(SYNONYM_GROUPS),
    "stopWords": STOP_WORDS,
}


#: Snippets are cropped from the start of the body only: Meilisearch tokenises the whole value
#: it highlights, and cropping full bodies cost ~5 ms per search on the BBC corpus. Highlighting
#: these heads is still ~40% of a search's Meilisearch CPU: 600 chars instead of 800 saved
#: ~0.3 ms of ~3 ms a search (bench query mix); 3% of hits then show the head without a
#: highlighted word (their first match lies in chars 600-800), up from 21% to 24%.
SNIPPET_SOURCE_CHARS = 600


def body_head(body: str, limit: int = SNIPPET_SOURCE_CHARS) -> str:
    """The body's beginning, cut at a word boundary (not searchable; used for snippets)."""
    if len(body) <= limit:
        return body
    cut = body[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def _timestamp(value: Any) -> int | None:
    return int(value.timestamp()) if value is not None else None


def to_documents(article: EnrichedArticle) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One story document, and one partial author document per author (count filled later)."""
    entities: dict[str, list[str]] = {"person": [], "organization": [], "place": []}
    for entity in article.entities:
        entities[entity.type].append(entity.name)
    story = {
        "id": article.article_id,
        "trace_id": article.trace_id,
        "title": article.title,
        "body": article.body,
        "body_head": body_head(article.body),
        "summary": article.summary,
        "url": article.canonical_url or article.url,
        "authors": [a.name for a in article.authors],
        "author_ids": [slugify_name(a.name) for a in article.authors],
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "published_at_ts": _timestamp(article.published_at),
        "published_at_raw": article.published_at_raw,
        "source": article.source,
        "site_name": article.site_name,
        "section": article.section,
        "tags": article.tags,
        "language": article.language,
        "lead_image_url": article.lead_image_url,
        "publisher": article.publisher,
        "keywords": article.keywords,
        "entities": entities,
        "entity_names": [e.name for e in article.entities],
        "word_count": article.word_count,
        "reading_time_minutes": article.reading_time_minutes,
        "near_duplicate_of": article.near_duplicate_of,
        "slug": article.slug,
        "received_at": article.received_at.isoformat(),
        "cleaned_at": article.cleaned_at.isoformat(),
        "enriched_at": article.enriched_at.isoformat(),
    }
    authors = []
    for author in article.authors:
        doc: dict[str, Any] = {"id": slugify_name(author.name), "name": author.name}
        if author.bio:
            doc["bio"] = author.bio
        authors.append(doc)
    return story, authors
