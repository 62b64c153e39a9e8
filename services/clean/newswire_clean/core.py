"""Cleaning: turn a posted article (HTML or scraped plain text) into a clean story.

Pure functions, no I/O: used by the clean worker, `newswire clean` and the benchmarks.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import ftfy
import trafilatura
from dateutil import parser as date_parser
from newswire_common.contracts import Author, CleanArticle, RawArticle, utcnow


class EmptyArticleError(ValueError):
    """Nothing that looks like a story was left after cleaning."""


@dataclass
class Extraction:
    title: str | None = None
    body: str = ""
    authors: list[Author] = field(default_factory=list)
    published_at_raw: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    lead_image_url: str | None = None
    language: str | None = None


_WS = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Repair mojibake, decode leftovers, NFC, fold runs of spaces, keep paragraph breaks."""
    text = ftfy.fix_text(text, uncurl_quotes=False)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def looks_like_html(content: str) -> bool:
    head = content[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(html|body|article|div|p|head)\b", head))


def extract_html(html: str, url: str | None = None) -> Extraction:
    body = trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                               favor_precision=True, deduplicate=True) or ""
    meta = trafilatura.extract_metadata(html, default_url=url)
    authors = []
    if meta is not None and meta.author:
        authors = [Author(name=n.strip()) for n in meta.author.split(";") if n.strip()]
    body = "\n\n".join(p for p in normalise_text(body).split("\n") if p.strip())
    return Extraction(
        title=meta.title if meta else None, body=body, authors=authors,
        published_at_raw=meta.date if meta else None,
        canonical_url=meta.url if meta else None,
        site_name=meta.sitename if meta else None,
        lead_image_url=meta.image if meta else None,
    )


# --- plain text --------------------------------------------------------------------------

_RELATIVE_TIME = re.compile(r"^(\d+|an?|one)\s+(second|minute|hour|day|week|month|year)s?\s+ago$", re.IGNORECASE)
_LIST_HEADER = re.compile(
    r"^(recent posts|related( posts| articles| stories)?|read more|more stories|popular|"
    r"trending|you may also like|comments?|leave a (reply|comment)|share this|tags?:?)$", re.IGNORECASE)
_STRAY_TOKEN = re.compile(r"^[A-Za-z0-9]{6,}$")


def _is_sentence(line: str) -> bool:
    return len(line.split()) >= 8 and bool(re.search(r"[.!?\"”’)]$", line))


def extract_text(text: str) -> Extraction:
    """Keep the story's span of a scraped page and pick up a trailing author box.

    The first line is the title when it is short and not a sentence. The story is the run of
    paragraphs up to the first line that starts the page's boilerplate (a list header such as
    "Recent Posts", a relative timestamp, a stray token). An author box is a short name line
    followed by a paragraph that mentions the name's first word.
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", normalise_text(text)) if p.strip()]
    title = None
    if paragraphs and len(paragraphs[0].split()) <= 20 and not _is_sentence(paragraphs[0]):
        title, paragraphs = paragraphs[0], paragraphs[1:]

    body: list[str] = []
    authors: list[Author] = []
    rest: list[str] = []
    for i, para in enumerate(paragraphs):
        first_line = para.split("\n")[0]
        if _LIST_HEADER.match(first_line) or _RELATIVE_TIME.match(first_line):
            rest = paragraphs[i:]
            break
        lines = para.split("\n")
        if _STRAY_TOKEN.match(lines[0]) and " " not in lines[0] and not _is_sentence(lines[0]):
            rest = [ "\n".join(lines[1:]), *paragraphs[i + 1:]] if len(lines) > 1 else paragraphs[i + 1:]
            break
        body.append(para)
    # An author box right after the story: "Name" then a bio paragraph naming them.
    rest = [r for r in rest if r.strip()]
    if len(rest) >= 2 and 1 < len(rest[0].split()) <= 4 and not _is_sentence(rest[0]):
        name = rest[0].strip()
        if name.split()[0] in rest[1]:
            authors.append(Author(name=name, bio=rest[1].strip()))
    return Extraction(title=title, body="\n\n".join(body), authors=authors)


def extract(content: str, url: str | None = None) -> Extraction:
    return extract_html(content, url) if looks_like_html(content) else extract_text(content)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return date_parser.parse(value)
    except (ValueError, OverflowError):
        return None


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
    return CleanArticle(
        article_id=raw.article_id, trace_id=raw.trace_id, received_at=raw.received_at,
        cleaned_at=now or utcnow(), publisher=raw.publisher,
        url=raw.url, canonical_url=raw.url or found.canonical_url,
        title=normalise_text(raw.title or found.title or found.body.split("\n")[0][:200]),
        body=found.body, authors=authors,
        published_at=_parse_date(published_raw), published_at_raw=published_raw,
        source=raw.source or found.site_name, site_name=found.site_name,
        section=raw.section, tags=raw.tags, language=raw.language or found.language,
        lead_image_url=found.lead_image_url, content_type="html" if is_html else "text",
    )
