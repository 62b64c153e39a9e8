"""Enrichment: language, keywords, summary and reading figures for a cleaned article.

Pure functions, no I/O (near-duplicate lookups need Redis and live in the worker).
"""

import math
import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from newswire_common.contracts import CleanArticle, EnrichedArticle, utcnow
from newswire_common.ids import slugify_name

WORDS_PER_MINUTE = 230
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“A-Z0-9])")


@lru_cache(maxsize=1)
def _language_detector():  # built once: loading the models takes a moment
    from lingua import LanguageDetectorBuilder

    # Low-accuracy mode keeps memory small; articles are long enough for it to be reliable.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect_language(text: str) -> str | None:
    language = _language_detector().detect_language_of(text[:2000])
    return language.iso_code_639_1.name.lower() if language else None


def extract_keywords(text: str, language: str | None, top: int = 8) -> list[str]:
    import yake

    extractor = yake.KeywordExtractor(lan=language or "en", n=2, top=top, dedupLim=0.7)
    seen: list[str] = []
    for phrase, _score in extractor.extract_keywords(text):
        phrase = phrase.lower()
        if phrase not in seen:
            seen.append(phrase)
    return seen[:top]


def summarise(body: str, max_sentences: int = 2) -> str:
    sentences: list[str] = []
    for paragraph in body.split("\n\n"):
        if len(paragraph.split()) < 8:
            continue
        sentences.extend(_SENTENCE_END.split(paragraph))
        if len(sentences) >= max_sentences:
            break
    return " ".join(sentences[:max_sentences])


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


def enrich_article(article: CleanArticle, now: datetime | None = None) -> EnrichedArticle:
    text = f"{article.title}\n\n{article.body}"
    language = article.language or detect_language(text)
    words = len(article.body.split())
    return EnrichedArticle(
        **article.model_dump(exclude={"language", "section"}),
        language=language,
        section=section_from(article),
        enriched_at=now or utcnow(),
        keywords=extract_keywords(text, language),
        summary=summarise(article.body),
        word_count=words,
        reading_time_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        slug=slug_from(article),
    )
