"""Shared pieces of the cleaner: the extraction record and text normalisation."""

import html
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy
from ftfy.badness import is_bad
from newswire_common.contracts import Author


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
    #: Which extractor produced the body ("trafilatura", "readability", "merged", "lines").
    method: str | None = None


_WS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANKS = re.compile(r"\n{3,}")
_MAX_FTFY = 2_000_000
#: Characters that mojibake (UTF-8 read as Latin-1/cp1252, and the like) nearly always contains;
#: text without any of them skips ftfy's slower repair pass.
_SUSPECT = re.compile("[\u00c2\u00c3\u00c5\u00e2\u00d0\u00d1\u00d8\u00d9\u00e3\u00ef\u00ce\u00cf"
                      "\u20ac\u2122\u0153\u0161\u017e\u02c6\u02dc\ufffd]|&#?\\w+;")


def normalise_text(text: str) -> str:
    """Repair mojibake, decode leftover entities, NFC, fold runs of spaces, keep paragraph breaks."""
    if not text.isascii() and len(text) <= _MAX_FTFY and _SUSPECT.search(text) and is_bad(text):
        text = ftfy.fix_text(text, uncurl_quotes=False, unescape_html=True)
    elif "&" in text and ";" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def paragraphs_to_body(text: str) -> str:
    """One paragraph per non-empty line, separated by blank lines."""
    return "\n\n".join(line for line in text.split("\n") if line.strip())
