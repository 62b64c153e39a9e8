"""The Python selectors select what trafilatura's XPath expressions select, in the same order."""

from __future__ import annotations

import copy
import gzip
import os
import random
import sys
from pathlib import Path

import lxml.html
import pytest
from trafilatura.core import _prepare_tree
from trafilatura.settings import Extractor

from newswire_clean import _selectors
from newswire_clean.html_extract import _TRAFILATURA, _strip_code, extract_html, load_html

sys.path.insert(0, str(Path(__file__).parent))

import fixtures as fx

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))
DEV_PAGES = sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))
needs_dev = pytest.mark.skipif(not DEV_PAGES, reason="extraction dev set not available")


def _pairs():
    """(name, stock XPath, Python selector) for every installed replacement."""
    assert _selectors.STOCK, "html_extract installs the selectors on import"
    for (module, attribute, index), stock in _selectors.STOCK.items():
        _owner, current = _selectors._slot(module, attribute, index)
        yield f"{attribute}[{index}]", stock, current


def _assert_same(tree) -> int:
    hits = 0
    for name, stock, fast in _pairs():
        expected = stock(tree)
        assert fast(tree) == expected, name
        hits += len(expected)
    return hits


def test_every_selector_is_installed():
    # A trafilatura upgrade that changes an expression leaves it stock: review the replacement.
    assert _selectors.install() == []
    assert len(_selectors.STOCK) == len(_selectors._REPLACEMENTS)


def test_every_function_is_installed():
    assert len(_selectors.STOCK_FUNCTIONS) == len(_selectors._FUNCTIONS)
    from trafilatura import htmlprocessing
    assert htmlprocessing.link_density_test is _selectors.link_density_test


@needs_dev
def test_same_link_density_verdicts_on_the_dev_pages():
    stock = _selectors.STOCK_FUNCTIONS[("trafilatura.htmlprocessing", "link_density_test")]
    tested = flagged = 0
    for page in DEV_PAGES[:30]:
        for tree in _trees(gzip.decompress(page.read_bytes()).decode("utf-8", "replace")):
            for elem in tree.iter("div", "list", "p", "item", "table", "section"):
                for precision in (False, True):
                    expected = stock(elem, precision)
                    assert _selectors.link_density_test(elem, precision) == expected, page.name
                    tested += 1
                    flagged += expected[0]
    assert tested > 10_000 and flagged > 100


def test_a_changed_expression_stays_stock(monkeypatch):
    from lxml import etree
    from trafilatura import xpaths
    changed = etree.XPath(".//div[@class='teaser']")
    installed = xpaths.TEASER_DISCARD_XPATH[0]
    monkeypatch.setattr(_selectors, "STOCK", {})
    xpaths.TEASER_DISCARD_XPATH[0] = changed
    try:
        assert _selectors.install() == ["TEASER_DISCARD_XPATH[0]"]
        assert xpaths.TEASER_DISCARD_XPATH[0] is changed
    finally:
        xpaths.TEASER_DISCARD_XPATH[0] = installed


def _trees(html: str):
    raw = load_html(html)
    yield raw
    stripped = copy.deepcopy(raw)
    _strip_code(stripped)
    yield stripped
    # trafilatura's cleaned and converted tree (list/item/head/hi... tags), where most run
    for options in (_TRAFILATURA, Extractor(output_format="python", tables=False, images=True, links=True)):
        cleaned, backup = _prepare_tree(copy.deepcopy(stripped), options, None)
        yield cleaned
        yield backup


def test_same_selection_on_the_fixture_article():
    assert sum(_assert_same(tree) for tree in _trees(fx.article_html())) > 0


@needs_dev
def test_same_selection_on_the_dev_pages():
    hits = 0
    for page in DEV_PAGES:
        for tree in _trees(gzip.decompress(page.read_bytes()).decode("utf-8", "replace")):
            hits += _assert_same(tree)
    assert hits > 1000


#: Attribute words around the selectors' tokens: matches, near misses and case variants.
_WORDS = ["comment", "Comments", "commentary", "comol", "comment-list", "post-comments", "article-comments",
          "disqus_thread", "dsq-comments", "nav", "Nav", "navbar", "subnav", "menu", "main", "main-content",
          "Main-Content", "mainContent", "page-content", "Page-Content", "content", "content-main", "contentBody",
          "content__body", "post", "entry", "articleContent", "article-body", "article__body", "articleBody",
          "story", "story-body", "storycontent", "primary", "fulltext", "FullText", "text", "cell", "postarea",
          "article", "reply-", "reply-to", "hidden", "hide", "hide-print", "-hide-", "noprint", "notloaded",
          "display:none", "display: none", "teaser", "Teaser", "caption", "Caption", "footer", "Footer",
          "cookie", "cookie-banner", "Cookie_Notice", "COOKIEBOT", "onetrust", "consent-banner", "mvp-post-add-box",
          "mvp-post-add-wrap", "infinite-scroll", "infinitescroll", "elementor-share-buttons", "share", "share-",
          "Share", "social", "ad-", "-ad-", " ad ", "ad", "widget", "sidebar", "byline", "Byline", "author",
          "related", "elated", "tags", "tag-list", "meta", "slide", "button", "x", "", "akismet",
          "reader-comments", "comments-title", "MostPopularStories", "message", "print"]
_ATTRS = ["id", "class", "style", "role", "itemprop", "data-component", "aria-hidden",
          "data-lp-replacement-content", "title"]
_TAGS = ["div", "section", "article", "main", "aside", "p", "span", "ol", "ul", "li", "list", "item",
         "details", "h1", "a", "footer", "header", "figure", "table", "td", "script", "style", "svg",
         "template", "fencedframe", "blockquote", "code", "pre"]


def _random_element(rng: random.Random, depth: int) -> str:
    tag = rng.choice(_TAGS)
    attrs = []
    for name in rng.sample(_ATTRS, rng.randint(0, 4)):
        if name == "aria-hidden":
            value = rng.choice(["true", "false", "True"])
        elif name == "itemprop":
            value = rng.choice(["articleBody", "articlebody", "author"])
        elif name == "role":
            value = rng.choice(["main", "Navigation", "article", "mainContent", "complementary"])
        else:
            value = rng.choice(["", " "]).join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
        attrs.append(f' {name}="{value}"')
    children = "".join(_random_element(rng, depth - 1) for _ in range(rng.randint(0, 4))) if depth else ""
    return f"<{tag}{''.join(attrs)}>t{children}</{tag}>tail "


def test_same_selection_on_random_markup():
    rng = random.Random(3)
    hits = 0
    for _ in range(400):
        body = "".join(_random_element(rng, 4) for _ in range(3))
        tree = lxml.html.fromstring(f"<html><body>{body}</body></html>")
        hits += _assert_same(tree)
        for sub in list(tree.iter("div", "section"))[:3]:  # a subtree as context node
            hits += _assert_same(sub)
    assert hits > 5000


@needs_dev
def test_same_extraction_with_the_stock_selectors():
    pages = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in DEV_PAGES]
    fast = [extract_html(page) for page in pages]
    _selectors.uninstall()
    try:
        stock = [extract_html(page) for page in pages]
    finally:
        assert _selectors.install() == []
    for page, a, b in zip(DEV_PAGES, fast, stock, strict=True):
        assert a == b, page.name


def test_author_box_prefilter_lets_every_author_box_class_through():
    from newswire_clean.html_extract import _AUTHOR_BOX_CLASS, _maybe_author_box
    rng = random.Random(5)
    words = ["author", "bio", "box", "-", "_", " ", "about", "info", "profile", "description", "Author",
             "authorbox", "bio-box", "x"]
    hits = 0
    for _ in range(20000):
        cls = "".join(rng.choice(words) for _ in range(rng.randint(0, 5)))
        if _AUTHOR_BOX_CLASS.search(cls):
            hits += 1
            assert _maybe_author_box(cls), cls
    assert hits > 1000
