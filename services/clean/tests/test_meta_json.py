"""The JSON-LD reader gives trafilatura's extract_meta_json result."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import pytest
from trafilatura.json_metadata import normalize_json
from trafilatura.metadata import JSON_MINIFY, extract_meta_json
from trafilatura.settings import Document

from newswire_clean.html_extract import _meta_json, _minify_json, _normalize_json, load_html

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))
DEV_PAGES = sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))

_PIECES = ['"', '\\', '\\"', '\\\\', ' ', '\n', '\t', '\u00a0', '\u2003', 'a', 'name', ':', ',', '{', '}',
           '\\u00e9', '\\ud83d', '\\ude00', '\\n', '<b>', '</b>', '&amp;', '\ud800', '"@type"', "'"]


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30)))


def test_minify_is_trafilaturas_on_random_text():
    rng = random.Random(11)
    for _ in range(20000):
        text = _random_text(rng)
        assert _minify_json(text) == JSON_MINIFY.sub(r"\1", text), repr(text)


def test_normalize_is_trafilaturas_on_random_text():
    rng = random.Random(12)
    for _ in range(20000):
        text = _random_text(rng)
        assert _normalize_json(text) == normalize_json(text), repr(text)


def _fields(doc: Document) -> dict:
    return {name: getattr(doc, name, None) for name in Document.__slots__
            if name not in ("body", "commentsbody")}  # fresh empty elements


def _same_on(html: str) -> None:
    tree = load_html(html)
    assert _fields(_meta_json(tree, Document())) == _fields(extract_meta_json(tree, Document()))


@pytest.mark.parametrize("script", [
    '{"@type": "NewsArticle", "headline": "Ferry  terminal\\n to close", "author": {"@type": "Person", '
    '"name": "Jonas \\u0042rekke"}, "datePublished": "2024-03-05T09:00:00Z"}',
    '{"@graph": [{"@type": "WebSite", "name": "The Gazette"}, {"@type": "Article", "headline": "A <b>b</b>"}]}',
    '{"@type": "Article", "headline": "broken',  # parse error path
    '',
])
def test_same_metadata_on_handwritten_json_ld(script):
    _same_on(f'<html><head><script type="application/ld+json">{script}</script></head>'
             f'<body><p>Text long enough to be a page.</p></body></html>')


@pytest.mark.skipif(not DEV_PAGES, reason="extraction dev set not available")
def test_same_metadata_on_the_dev_pages():
    for page in DEV_PAGES:
        _same_on(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
