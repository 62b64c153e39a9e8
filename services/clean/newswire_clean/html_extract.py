"""HTML pages: trafilatura and readability-lxml, merged where they disagree.

trafilatura (fast mode, no comments) is the primary extractor; readability-lxml + html-text is a
second opinion. They fail on different pages:

* a trafilatura paragraph that readability does not have at all is usually boilerplate that
  trafilatura kept (teasers, bylines, newsletter boxes), so it is dropped (paragraph vote);
* when one output is (nearly) contained in the other, the extra text of the larger one is mostly
  boilerplate, unless the larger one is much longer: then the smaller one missed part of the story.
"""

from __future__ import annotations

import html
import inspect
import json
import logging
import os
import re
from itertools import islice

import html_text
import lxml.html
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction
from trafilatura import json_metadata as traf_json
from trafilatura import metadata as traf_meta
from trafilatura.settings import Extractor, set_date_params
from trafilatura.utils import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    HTML_STRIP_TAGS,
    INVALID_XML_CHARS,
    decode_file,
    is_dubious_html,
    trim,
)

from newswire_common.contracts import Author

from . import _cascade, _selectors
from ._authors import page_author
from ._base import Extraction, normalise_text, paragraphs_to_body
from ._readability import TreeDocument

log = logging.getLogger(__name__)

#: trafilatura's costliest XPath selectors replaced by equivalent Python walks (see _selectors).
_selectors.install()

_TOKEN = re.compile(r"\w+")
#: 4-token shingles: the unit the merge rules compare outputs with.
_N = 4
CONTAINED = 0.9
MUCH_LONGER = 1.8
MIN_SHARE = 0.4
PARA_KEEP = 0.5
MIN_FALLBACK_WORDS = 10
MIN_BODY_WORDS = 4
BIG_PAGE_CHARS = 2_000_000


def _shingles_of(toks: list[str]) -> set[tuple[str, ...]]:
    if len(toks) < _N:
        return {tuple(toks)} if toks else set()
    return set(zip(toks, toks[1:], toks[2:], toks[3:], strict=False))  # _N == 4; shorter tails


def tokens(text: str) -> list[str]:
    """_TOKEN.findall(text), with the regex only for words with something other than letters
    and digits: a \\w+ run never crosses a blank, and a word str.isalnum() accepts is one run
    (both test Py_UNICODE_ISALNUM; "_", the other \\w character, is not alphanumeric). The
    regex engine's per-character search costs about three times as much."""
    found: list[str] = []
    for word in text.split():
        if word.isalnum():
            found.append(word)
        else:
            found += _TOKEN.findall(word)
    return found


def _line_tokens(text: str, cache: dict[str, list[str]]) -> list[str]:
    """tokens(text), line by line (tokens never cross a line), each distinct line once."""
    found: list[str] = []
    for line in text.split("\n"):
        line_tokens = cache.get(line)
        if line_tokens is None:
            line_tokens = cache[line] = tokens(line)
        found += line_tokens
    return found


def _shingles(text: str) -> set[tuple[str, ...]]:
    return _shingles_of(tokens(text))


def _has_words(text: str, count: int) -> bool:
    """len(_TOKEN.findall(text)) >= count, reading no further than the count-th word."""
    return sum(1 for _ in islice(_TOKEN.finditer(text), count)) >= count


def _contained(a: set, b: set) -> float:
    return len(a & b) / len(a) if a else 0.0


def merge_bodies(primary: str, second: str) -> tuple[str, str]:
    """Combine trafilatura's body (primary) with readability's (second); return (body, method)."""
    if not second.strip():
        return primary, "trafilatura"
    if not primary.strip():
        # trafilatura found nothing: readability's fallback of a few words is a menu or a label.
        return (second, "readability") if _has_words(second, MIN_FALLBACK_WORDS) else ("", "none")
    # Most of trafilatura's paragraphs are lines of readability's text too: tokenised once.
    line_cache: dict[str, list[str]] = {}
    s2 = _shingles_of(_line_tokens(second, line_cache))
    paras = primary.split("\n")
    kept, kept_toks = [], []  # tokens never span lines: the voted text's are the kept lines'
    for para in paras:
        toks = line_cache.get(para)
        if toks is None:
            toks = tokens(para)
        if len(toks) < _N or _contained(_shingles_of(toks), s2) >= PARA_KEEP:
            kept.append(para)
            kept_toks += toks
    voted = "\n".join(kept) if kept else primary
    l1, l2 = len(voted), len(second)
    if l2 < l1 or l2 >= MUCH_LONGER * l1:  # the only cases that compare whole outputs
        s1 = _shingles_of(kept_toks) if kept else _shingles(primary)
        if l2 < l1 and _contained(s2, s1) >= CONTAINED:
            return (second, "readability") if l2 >= MIN_SHARE * l1 else (voted, "merged")
        if l2 > l1 and _contained(s1, s2) >= CONTAINED:
            return second, "readability"
    return voted, "merged" if len(kept) != len(paras) else "trafilatura"


# --- metadata ----------------------------------------------------------------------------

#: Class names of author boxes ("about the author"): a whole `author-bio` token, or one of these
#: substrings.
_AUTHOR_BOX_CLASS = re.compile(r"(?:^|\s)author-bio(?:\s|$)|author-box|about-author|author-description"
                               r"|authorbox|author-info|author_bio|bio-box|author-profile")


def _maybe_author_box(cls: str | None) -> bool:
    """A cheap necessary condition for _AUTHOR_BOX_CLASS: each alternative has one of these."""
    return bool(cls) and ("author" in cls or "bio-box" in cls)


def _meta_index(tree: HtmlElement) -> dict[str, str]:
    """First non-empty content of every <meta> by property/name/itemprop/http-equiv (one pass)."""
    index: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                index.setdefault(key.strip().lower(), content)
    return index


def _meta(index: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = index.get(name.lower())
        if value:
            return value
    return None


def declared_language(tree: HtmlElement, metas: dict[str, str] | None = None) -> str | None:
    """The page's declared language: <html lang>, og:locale, or a language meta tag."""
    metas = _meta_index(tree) if metas is None else metas
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    lang = lang or _meta(metas, "og:locale", "content-language", "Content-Language", "language",
                         "dc.language", "DC.language", "inLanguage")
    if not lang:
        return None
    lang = lang.strip().replace("_", "-").split(",")[0].strip()
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
        return None
    primary, *rest = lang.split("-")
    return "-".join([primary.lower(), *[r.upper() if len(r) == 2 else r for r in rest]])


#: <meta> names that carry the publication time, best first.
_PUBLISHED_META = ("article:published_time", "datePublished", "og:published_time", "pubdate", "publishdate",
                   "date", "dc.date", "DC.date.issued")


#: trafilatura's JSON_MINIFY.sub(r"\\1", text) (keep string literals, drop whitespace outside them)
#: as one findall: string literals, runs of other non-blank characters, and a stray quote are
#: kept; blanks are what no alternative matches. No Python call per string literal.
_JSON_KEPT = re.compile(r'"(?:\\.|[^"\\])*"|[^\s"]+|"')
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_SCRIPT_TYPES = ("application/ld+json", "application/settings+json")


def _minify_json(text: str) -> str:
    return "".join(_JSON_KEPT.findall(text))


def _normalize_json(string: str) -> str:
    """trafilatura.json_metadata.normalize_json with a regex for its per-character surrogate filter."""
    if "\\" in string:
        string = string.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        string = traf_json.JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), string)
        string = _SURROGATE.sub("", string)
        string = html.unescape(string)
    return trim(HTML_STRIP_TAGS.sub("", string))


def _meta_json(tree: HtmlElement, metadata: traf_meta.Document) -> traf_meta.Document:
    """trafilatura.metadata.extract_meta_json, same result, without its XPath and per-match and
    per-character Python calls (a tenth of the metadata time)."""
    for elem in tree.iterdescendants("script"):
        if elem.get("type") not in _JSON_SCRIPT_TYPES or not elem.text:
            continue
        element_text = _normalize_json(_minify_json(elem.text))
        try:
            schema = json.loads(element_text, strict=False)
            metadata = traf_json.extract_json(schema, metadata)
        except json.JSONDecodeError:
            metadata = traf_json.extract_json_parse_error(element_text, metadata)
    return metadata


def _page_metadata(tree: HtmlElement, url: str | None, *, find_day: bool,
                   extensive: bool) -> traf_meta.Document:
    """trafilatura's extract_metadata minus what the cleaner never keeps (categories, tags,
    licence: a third of its cost) and minus htmldate unless `find_day` (the page's meta tags
    already gave the time), with its byline search replaced by an equivalent one (_authors).
    Same order and fallbacks as trafilatura 2.x otherwise."""
    md = traf_meta.examine_meta(tree)
    if md.author and " " not in md.author:
        md.author = None
    try:
        md = _meta_json(tree, md)
    except Exception as err:  # noqa: BLE001 - trafilatura's JSON-LD reader raises on odd schemas
        log.debug("JSON-LD metadata skipped: %r", err)
    md.title = md.title or traf_meta.extract_title(tree)
    md.author = md.author or page_author(tree)
    md.url = md.url or traf_meta.extract_url(tree, url)
    if find_day:
        md.date = find_date(tree, **{**set_date_params(extensive), "url": md.url})
    md.sitename = md.sitename or traf_meta.extract_sitename(tree)
    if md.sitename:
        md.sitename = md.sitename.lstrip("@")
        if md.sitename and "." not in md.sitename and not md.sitename[0].isupper():
            md.sitename = md.sitename.title()
    elif md.url and (match := traf_meta.META_URL.match(md.url)):
        md.sitename = match[1]
    md.clean_and_trim()
    return md


def _author_bios(tree: HtmlElement, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Author boxes on the page: {name: bio} for known names, and the box texts."""
    bios: dict[str, str] = {}
    texts: list[str] = []
    found = (e for e in tree.iter("div", "section", "aside", "footer")
             if _maybe_author_box(e.get("class")) and _AUTHOR_BOX_CLASS.search(e.get("class")))
    for box in list(found)[:3]:
        text = normalise_text(html_text.extract_text(box, guess_layout=False))
        if not text or len(text) > 3000:
            continue
        texts.append(text)
        for name in names:
            if name and name.split()[0] in text:
                bio = text.replace(name, "", 1).strip(" \n:-–—") if text.startswith(name) else text
                bios.setdefault(name, bio)
    return bios, texts


def _strip_boxes(body: str, boxes: list[str]) -> str:
    if not boxes:
        return body
    box_shingles = _shingles("\n".join(boxes))
    kept = [p for p in body.split("\n\n")
            if len(toks := tokens(p)) < _N or _contained(_shingles_of(toks), box_shingles) < 0.8]
    return "\n\n".join(kept)


#: trafilatura's parser settings, but every element an HtmlElement: lxml.html's default lookup
#: calls Python for each element proxy created (form and input classes we never use), about 6%
#: of the cleaner's time.
_PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                     remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


#: INVALID_XML_CHARS one by one: `in` tests are fast scans, the regex is not (1 ms a page).
_XML_INVALID = tuple(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF))


def _repair(text: str, beginning: str) -> str:
    """trafilatura.utils.repair_faulty_html, with the character scan skipped when clean."""
    if any(c in text for c in _XML_INVALID):
        text = INVALID_XML_CHARS.sub("", text)
    if "doctype" in beginning:
        firstline, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            text = FAULTY_HTML.sub(r"\1>", text, count=1)
            break
    return text


_LEADING_BLANKS = re.compile(r"\s*")


def load_html(html: str | bytes) -> HtmlElement | None:
    """trafilatura.utils.load_html (decoding, repairs, sanity check) with `_PARSER`."""
    text = decode_file(html)
    beginning = text[:50].lower()
    text = _repair(text, beginning)
    # UTF-8 bytes, not the str: lxml hands a non-ASCII str to libxml2 as UTF-16/Latin-1, whose
    # conversion to UTF-8 costs more than Python's encoder (same tree). The str parse stays for
    # lone surrogates, and for non-ASCII blanks before the first tag (lxml.html.fromstring's
    # full-document test is ASCII-only on bytes).
    data = None
    if _LEADING_BLANKS.match(text).group().isascii():
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            pass
    try:
        tree = lxml.html.fromstring(text if data is None else data, parser=_PARSER)
    except ValueError:  # a str with an encoding declaration: lxml wants bytes
        if data is not None:
            return None
        tree = None
    except etree.LxmlError:
        return None
    if tree is None or len(tree) < 1:
        try:
            tree = lxml.html.fromstring(text.encode("utf8", "surrogatepass"), parser=_PARSER)
        except (ValueError, etree.LxmlError):
            return None
    # not HTML at all: text with no markup parses to a single element
    if is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


#: Scripts that carry metadata (JSON-LD, read by trafilatura and htmldate); every other script goes.
_DATA_SCRIPTS = frozenset({"application/ld+json", "application/settings+json"})


def _strip_code(tree: HtmlElement) -> None:
    """Drop code and vector art (scripts but JSON-LD, styles, templates, noscript, svg) once,
    keeping tails. Both extractors drop them anyway (trafilatura: same output on the dev
    pages), but each would copy and walk them first (about 9% of trafilatura's time)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() not in _DATA_SCRIPTS:
            script.tag = "x-drop"
    etree.strip_elements(tree, "x-drop", "style", "template", "noscript", "svg", with_tail=False)


_STOCK_NORMALIZE_WHITESPACE = ('def _normalize_whitespace(text: str) -> str:\n'
                               '    return _whitespace.sub(" ", text.strip())\n')


def fold_whitespace(text: str) -> str:
    """html_text's _normalize_whitespace (`\\s+` to one space after strip()) without a regex
    substitution per blank run: str.split() splits on the same characters (both use
    Py_UNICODE_ISSPACE). html_text calls it for every text node it extracts."""
    return " ".join(text.split())


def install_fold_whitespace() -> bool:
    """Swap fold_whitespace into html_text while its function is the known definition."""
    module = html_text.html_text
    current = module._normalize_whitespace
    if current is fold_whitespace:
        return True
    try:
        known = (inspect.getsource(current) == _STOCK_NORMALIZE_WHITESPACE
                 and module._whitespace.pattern == r"\s+" and not module._whitespace.flags & re.ASCII)
    except (OSError, TypeError, AttributeError):
        known = False
    if known:
        module._normalize_whitespace = fold_whitespace
    return known


install_fold_whitespace()


def _readability_body(tree: HtmlElement) -> str:
    try:
        summary = TreeDocument(tree).summary(html_partial=True)
    except Exception:  # noqa: BLE001 - readability raises its own Unparseable and lxml errors on odd markup
        return ""
    return html_text.extract_text(summary, guess_layout=True)


#: trafilatura's settings, built once (its constructor reads the config and formats dates each
#: call). No URL: with links off it is only used in log lines.
_TRAFILATURA = Extractor(output_format="python", fast=True, comments=False, tables=True)

#: "accurate" (default): trafilatura + readability merged; "fast": trafilatura alone, about 1.6
#: times the throughput for about 0.015 less F1 on the dev pages.
HTML_MODE = os.environ.get("NEWSWIRE_CLEAN_HTML_MODE", "accurate").strip().lower()


def extract_html(html: str | bytes, url: str | None = None, *,
                 second_opinion: bool | None = None) -> Extraction:
    tree = load_html(html)
    if tree is None:
        return Extraction()
    # htmldate's extensive search runs regexes over the whole page text: only for normal sizes.
    big = len(html) > BIG_PAGE_CHARS
    if second_opinion is None:
        second_opinion = HTML_MODE != "fast"
    second_opinion = second_opinion and not big
    metas = _meta_index(tree)
    # A full timestamp from the page's metadata beats htmldate's day-only guess.
    published = _meta(metas, *_PUBLISHED_META)
    # Metadata first, on the whole page: htmldate also searches script text for dates.
    md = _page_metadata(tree, url, find_day=published is None, extensive=not big)
    _strip_code(tree)
    # trafilatura's text from its own copy of the tree (one, see _cascade): `tree` stays intact.
    traf_text = _cascade.extract_text(tree, _TRAFILATURA)
    names = [n.strip() for n in re.split(r";|\band\b|&", md.author) if n.strip()] if md.author else []
    bios, boxes = _author_bios(tree, names)
    found = Extraction(
        title=normalise_text(md.title) or None if md.title else None,
        authors=[Author(name=n, bio=bios.get(n)) for n in names],
        published_at_raw=published or md.date,
        canonical_url=md.url or (tree.xpath("//link[@rel='canonical']/@href") or [None])[0],
        site_name=md.sitename or _meta(metas, "og:site_name"),
        lead_image_url=md.image or _meta(metas, "og:image", "twitter:image"),
        language=declared_language(tree, metas), method="trafilatura",
    )
    body = normalise_text(traf_text or "")
    if second_opinion:  # readability mutates the tree: it runs last
        body, found.method = merge_bodies(body, normalise_text(_readability_body(tree)))
    body = _strip_boxes(paragraphs_to_body(body), boxes)
    # A word or two (a lone menu link, a label) is not a story.
    found.body = body if _has_words(body, MIN_BODY_WORDS) else ""
    return found


__all__ = ["declared_language", "extract_html", "merge_bodies"]
