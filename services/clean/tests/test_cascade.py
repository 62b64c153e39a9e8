"""_cascade.extract_text gives stock trafilatura's text, with one tree copy instead of three."""

from __future__ import annotations

import copy
import gzip
import os
import random
import sys
from pathlib import Path

import lxml.html
import pytest
import trafilatura
from lxml import etree
from trafilatura import core as traf_core
from trafilatura.settings import Extractor

from newswire_clean import _cascade
from newswire_clean.html_extract import _TRAFILATURA, _strip_code, load_html

sys.path.insert(0, str(Path(__file__).parent))

import fixtures as fx
from test_selectors import _random_element

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))
DEV_PAGES = sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))


def _stock_text(tree, options: Extractor) -> str | None:
    document = trafilatura.bare_extraction(copy.deepcopy(tree), options=options)
    return document.text if document is not None else None


def _check(tree, options: Extractor = _TRAFILATURA) -> str | None:
    """Ours == stock, and the caller's tree is left as it was."""
    before = etree.tostring(tree)
    ours = _cascade.extract_text(tree, options)
    assert etree.tostring(tree) == before
    assert ours == _stock_text(tree, options)
    return ours


def test_used_for_the_known_trafilatura_and_our_options():
    assert _cascade.enabled and _cascade.changed_sources() == []
    assert _cascade.handles(_TRAFILATURA)
    for other in (Extractor(output_format="python", fast=False, comments=False),
                  Extractor(output_format="python", fast=True, comments=True),
                  Extractor(output_format="python", fast=True, comments=False, precision=True),
                  Extractor(output_format="python", fast=True, comments=False, recall=True),
                  Extractor(output_format="txt", fast=True, comments=False)):
        assert not _cascade.handles(other)


def test_a_changed_trafilatura_function_is_noticed(monkeypatch):
    monkeypatch.setitem(_cascade.KNOWN_SOURCES, "_recall_retry", "0" * 16)  # as if trafilatura changed it
    assert _cascade.changed_sources() == ["_recall_retry"]


def test_stock_path_when_disabled(monkeypatch):
    tree = load_html(fx.article_html())
    _strip_code(tree)
    calls = []
    real = traf_core.bare_extraction
    monkeypatch.setattr(_cascade, "enabled", False)
    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: calls.append(1) or real(*a, **k))
    text = _cascade.extract_text(tree, _TRAFILATURA)
    assert calls == [1] and text and text == _stock_text(tree, _TRAFILATURA)


@pytest.mark.skipif(not DEV_PAGES, reason="extraction dev set not available")
def test_same_text_on_the_dev_pages():
    rescued = 0
    for page in DEV_PAGES:
        tree = load_html(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
        _strip_code(tree)
        text = _check(tree)
        rescued += len(text or "") < traf_core.ESCALATION_MAX_LENGTH
    assert rescued  # pages whose short first result goes on to the rescue steps


def test_same_text_on_the_fixture_article_and_short_pages():
    for html in (fx.article_html(),
                 # short: baseline rescue and recall escalation run on the re-made raw tree
                 "<html><body><nav><a href='/'>Home</a></nav><div><span>Only a short line here "
                 "and there.</span></div><footer>Contact us</footer></body></html>",
                 "<html><body>" + "".join(f"<div class='item'><p>Paragraph {i} is a sentence of "
                 "some length about nothing.</p></div>" for i in range(3)) + "<ul class='comments'>"
                 "<li>comment</li></ul></body></html>",
                 '<html><head><script type="application/ld+json">{"@type": "DiscussionForumPosting"}'
                 '</script></head><body><div class="comments"><p>A forum post that is the content, '
                 'long enough to count as text.</p></div></body></html>'):
        tree = load_html(html)
        _strip_code(tree)
        _check(tree)


def test_same_text_on_random_markup():
    rng = random.Random(11)
    for _ in range(150):
        body = "".join(_random_element(rng, 4) for _ in range(4))
        _check(lxml.html.fromstring(f"<html><body>{body}</body></html>"))
