"""Enrichment of a cleaned article: language, entities, keywords, summary, reading figures,
publication date, slug and section.

Pure functions, no I/O (near-duplicate lookups need Redis: see dedup.py and the worker).
Heavy objects (lingua detector, gazetteers) are built once per process and cached.
"""

import math
import re
from datetime import datetime
from urllib.parse import urlsplit

from newswire_common.contracts import CleanArticle, EnrichedArticle, utcnow
from newswire_common.ids import slugify_name

from .dates import resolve_published_at
from .entities import extract_entities
from .keywords import extract_keywords as _yake
from .language import detect_language, normalise_language
from .settings import EnrichSettings, get_enrich_settings

__all__ = [
    "WORDS_PER_MINUTE",
    "detect_language",
    "enrich_article",
    "extract_keywords",
    "reading_time",
    "section_from",
    "slug_from",
    "summarise",
    "warm_up",
]

WORDS_PER_MINUTE = 230
#: keyword extraction reads the lead of long stories only (news puts the key facts first)
KEYWORD_CHARS = 3000
_ABBREV = (r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)"
           r"(?<!\bvs\.)(?<!\b[A-Z]\.)")
# the cheap (?<=[.!?]) first: the abbreviation look-behinds then run at sentence ends only
_SENTENCE_END = re.compile(r"(?<=[.!?])" + _ABBREV + r"[\"”’]?\s+(?=[\"“‘'A-Z0-9])")


def extract_keywords(text: str, language: str | None, top: int = 8) -> list[str]:
    """5-10 lower-case key phrases without stop words (YAKE scoring)."""
    top = min(10, max(5, top))
    return _yake(text[:KEYWORD_CHARS], language or "en", top=top)


def summarise(body: str, max_sentences: int = 2) -> str:
    """The first 1-3 sentences of the story (extractive); datelines and short lines skipped."""
    max_sentences = min(3, max(1, max_sentences))
    sentences: list[str] = []
    for paragraph in body.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        if len(paragraph.split()) < 8:
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            if len(sentence.split()) >= 4:
                sentences.append(sentence.strip())
        if len(sentences) >= max_sentences:
            break
    if not sentences and body.strip():
        sentences = [_SENTENCE_END.split(" ".join(body.split()))[0]]
    return " ".join(sentences[:max_sentences])


def reading_time(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def slug_from(article: CleanArticle) -> str:
    if article.url:
        last = [p for p in urlsplit(article.url).path.split("/") if p]
        if last:
            return slugify_name(re.sub(r"\.\w+$", "", last[-1]))
    return slugify_name(article.title)[:80]


def section_from(article: CleanArticle) -> str | None:
    if article.section:
        return article.section
    if article.url:
        parts = [p for p in urlsplit(article.url).path.split("/") if p]
        if len(parts) > 1 and not parts[0].isdigit():
            return parts[0].lower()
    return None


def warm_up(settings: EnrichSettings | None = None) -> None:
    """Build the cached detector and gazetteers now rather than on the first article."""
    s = settings or get_enrich_settings()
    detect_language("warm up the language models", tuple(s.languages))
    extract_entities("Warm up in London.", language=None)


def enrich_article(article: CleanArticle, now: datetime | None = None, *,
                   settings: EnrichSettings | None = None,
                   entity_pipeline: str | None = None) -> EnrichedArticle:
    s = settings or get_enrich_settings()
    text = f"{article.title}\n\n{article.body}"
    language = normalise_language(article.language) or detect_language(
        text, tuple(s.languages))
    words = len(article.body.split())
    return EnrichedArticle(
        **article.model_dump(exclude={"language", "section", "published_at"}),
        language=language,
        section=section_from(article),
        published_at=resolve_published_at(article.published_at_raw, article.received_at,
                                          article.published_at),
        enriched_at=now or utcnow(),
        entities=extract_entities(text, pipeline=entity_pipeline, language=language),
        keywords=extract_keywords(text, language, s.keywords_top),
        summary=summarise(article.body, s.summary_sentences),
        word_count=words,
        reading_time_minutes=reading_time(words),
        slug=slug_from(article),
    )
