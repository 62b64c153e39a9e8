"""Shared pieces of the cleaner: the extraction record, text normalisation, and the digest that
guards our stand-ins for library code."""

import hashlib
import html
import inspect
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy
from ftfy.badness import is_bad

from newswire_common.contracts import Author


def source_digest(function: object) -> str | None:
    """sha256 (16 hex) of a function's source: our faster stand-ins for library functions are
    used only while the library's source is the version they were checked against."""
    try:
        return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None


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


# Python's regex engine pays per position tried and per match: the common work below uses
# str.replace and `in` (C loops), and each regex is a single character class (the engine's fast
# scan) or runs only on text that has the rare characters it handles.
#: Spacing other than the plain space, folded to a space.
_OTHER_SPACE = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
#: Invisible characters (zero-width, BOM, soft hyphen) and control characters other than \t \n \r.
_DROP = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\u00ad]")
#: Whitespace str.strip() removes that is neither folded, dropped nor a line break.
_ODD_EDGE = "\x85\u1680\u2028\u2029"
_LINE_EDGES = re.compile(f"[ {_ODD_EDGE}]*\n[ {_ODD_EDGE}]*")
#: What _DROP, _OTHER_SPACE or _LINE_EDGES would act on: one scan tells whether any is needed.
_UNUSUAL = re.compile(f"{_DROP.pattern[:-1]}{_OTHER_SPACE.pattern[1:-1]}{_ODD_EDGE}]")
_MAX_FTFY = 2_000_000
#: Mojibake (UTF-8 read as Latin-1/cp1252) pairs a lead-byte character (Â..ô) with a
#: continuation-byte one (\x80..¿ or its cp1252 reading). Only text with such a pair (or with
#: U+FFFD) is worth ftfy's badness check and repair; a lone "ã" or "™" is not.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                       "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                       "\u2039\u203a\u20ac\u2122]")


def _looks_mojibaked(text: str) -> bool:
    return bool(("\ufffd" in text or _MOJIBAKE.search(text)) and is_bad(text))


def normalise_text(text: str) -> str:
    """Repair mojibake, decode leftover entities, NFC, fold runs of spaces, keep paragraph breaks."""
    if not text.isascii() and len(text) <= _MAX_FTFY and _looks_mojibaked(text):
        text = ftfy.fix_text(text, uncurl_quotes=False, unescape_html=True)
    elif "&" in text and ";" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    unusual = _UNUSUAL.search(text) is not None
    if unusual:
        text = _OTHER_SPACE.sub(" ", _DROP.sub("", text))
    # Every run of spaces to one space, and no spaces at either end of a line.
    while "  " in text:
        text = text.replace("  ", " ")
    if unusual:
        text = _LINE_EDGES.sub("\n", text)
    else:
        text = text.replace(" \n", "\n").replace("\n ", "\n")
    while "\n\n\n" in text:  # at most one blank line in a row
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def paragraphs_to_body(text: str) -> str:
    """One paragraph per non-empty line, separated by blank lines."""
    return "\n\n".join(line for line in text.split("\n") if line.strip())
