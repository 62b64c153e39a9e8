"""Cleaning: turn a posted article (HTML or scraped plain text) into a clean story.

Pure functions, no I/O: used by the clean worker, `newswire clean` and the benchmarks.
HTML goes through trafilatura + readability-lxml (html_extract); plain text through line-level
heuristics with a best-contiguous-span pick (text_extract).
"""

from __future__ import annotations

import re
from datetime import datetime

from dateutil import parser as date_parser

from newswire_common.contracts import Author, CleanArticle, RawArticle, utcnow

from ._base import EmptyArticleError, Extraction, normalise_text
from .html_extract import extract_html
from .text_extract import extract_text

__all__ = ["EmptyArticleError", "Extraction", "clean_article", "extract", "extract_html",
           "extract_text", "looks_like_html", "normalise_text", "parse_date"]

_HTML_HINT = re.compile(r"<(html|body|head|article|div|p|span|section|main|meta|title|br|table|ul|script|style)\b",
                        re.IGNORECASE)


def looks_like_html(content: str) -> bool:
    head = content[:4000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")):
        return True
    return len(_HTML_HINT.findall(head)) >= 2 or bool(re.match(r"<(html|body|article|div|p)\b", head))


def extract(content: str, url: str | None = None) -> Extraction:
    return extract_html(content, url) if looks_like_html(content) else extract_text(content)


_TZ_NAMES = {"UTC": 0, "GMT": 0, "Z": 0, "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600,
             "CDT": -5 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600,
             "PDT": -7 * 3600, "BST": 3600, "CET": 3600, "CEST": 7200}


def parse_date(value: str | None) -> datetime | None:
    """Parse a date in any common format (ISO 8601, RFC 2822, "June 3, 2024", "03/06/2024",
    Unix seconds); None when it is not a date."""
    if not value or len(value) > 200:
        return None
    value = value.strip()
    if re.fullmatch(r"\d{9,10}(\.\d+)?", value):
        from datetime import UTC
        return datetime.fromtimestamp(float(value), UTC)
    try:
        return date_parser.parse(value, tzinfos=_TZ_NAMES)
    except (ValueError, OverflowError, TypeError):
        pass
    if not re.search(r"\d", value):  # every date this accepts carries a day or a year
        return None
    try:
        import dateparser  # slower, but reads other languages ("22 de outubro de 2010")
        return dateparser.parse(value, settings={"STRICT_PARSING": False})
    except Exception:  # noqa: BLE001 - dateparser raises assorted errors on odd input
        return None


_parse_date = parse_date


def clean_article(raw: RawArticle, now: datetime | None = None) -> CleanArticle:
    """Clean one posted article. Publisher-supplied fields win over extracted ones."""
    content = raw.html if raw.html is not None else (raw.text or "")
    is_html = raw.html is not None or looks_like_html(content)
    found = extract_html(content, raw.url) if is_html else extract_text(content)
    if not found.body.strip():
        raise EmptyArticleError("no article text left after removing markup and boilerplate")

    if raw.authors:
        bios = {a.name.lower(): a.bio for a in found.authors}
        authors = [Author(name=n, bio=bios.get(n.lower())) for n in raw.authors]
    else:
        authors = found.authors
    published_raw = raw.published_at or found.published_at_raw
    title = raw.title or found.title or found.body.split("\n")[0][:200]
    return CleanArticle(
        article_id=raw.article_id, trace_id=raw.trace_id, received_at=raw.received_at,
        cleaned_at=now or utcnow(), publisher=raw.publisher,
        url=raw.url, canonical_url=found.canonical_url or raw.url,
        title=normalise_text(title),
        body=found.body, authors=authors,
        published_at=parse_date(published_raw), published_at_raw=published_raw,
        source=raw.source or found.site_name, site_name=found.site_name,
        section=raw.section, tags=raw.tags, language=raw.language or found.language,
        lead_image_url=found.lead_image_url, content_type="html" if is_html else "text",
    )
