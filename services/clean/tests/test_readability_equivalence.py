"""The faster readability Document gives the stock class's output, to the character."""

from __future__ import annotations

import copy
import gzip
import os
import random
import sys
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from readability import Document
from readability import readability as readability_module
from readability.readability import clean

from newswire_clean._readability import (
    _DISPLAY_NONE,
    TreeDocument,
    _text_length,
    _unlikely,
    _unlikely_pair,
    clean_length,
    install_copies,
    install_text_length,
    stock_text_length,
    text_of,
)
from newswire_clean.html_extract import _strip_code, load_html

sys.path.insert(0, str(Path(__file__).parent))

import fixtures as fx

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))


class StockDocument(TreeDocument):
    """TreeDocument's in-place parse with readability's own versions of the overridden steps."""

    def _parse(self, input):
        # readability's own _parse minus its Cleaner (which TreeDocument replaces by the
        # strip_elements below): XPath for hidden and display:none elements
        doc = input
        for elem in doc.xpath("//*[@hidden]"):
            elem.drop_tree()
        for elem in doc.xpath("//*[@style]"):
            if _DISPLAY_NONE.search(elem.get("style") or ""):
                elem.drop_tree()
        etree.strip_elements(doc, "script", "style", "link", "template", etree.Comment,
                             etree.ProcessingInstruction, with_tail=False)
        return doc

    get_link_density = Document.get_link_density
    remove_unlikely_candidates = Document.remove_unlikely_candidates
    transform_misused_divs_into_paragraphs = Document.transform_misused_divs_into_paragraphs
    class_weight = Document.class_weight
    score_paragraphs = Document.score_paragraphs
    select_best_candidate = Document.select_best_candidate
    get_article = Document.get_article
    sanitize = Document.sanitize
    tags = Document.tags
    reverse_tags = Document.reverse_tags


@pytest.mark.parametrize("text", [
    "", " ", "\n\t ", "word", "  two  words  ", "a\n\n  b", "a \t b", "a\t\tb", "a\t b", "a \tb",
    "a\u00a0b", "a \u00a0 b", "a\u00a0\n b", "a" + " " * 300 + "b", "a" + "\u00a0" * 260 + "b",
    "\u00a0 lead", "trail \t", "x\r\ny", "x \u2009\t y", "\u3000a\u3000\u3000b\u3000",
])
def test_clean_length_is_len_of_clean(text):
    assert clean_length(text) == len(clean(text))


def test_clean_length_on_random_blank_mixes():
    rng = random.Random(7)
    alphabet = ["a", "b", " ", " ", "\n", "\t", "\u00a0", "\r", "\u2009", ","]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert clean_length(text) == len(clean(text)), repr(text)


def _summaries(html: str) -> tuple[str, str]:
    tree = load_html(html)
    _strip_code(tree)
    fast_length = readability_module.text_length
    readability_module.text_length = stock_text_length  # the module function readability's methods call
    try:
        stock = StockDocument(copy.deepcopy(tree)).summary(html_partial=True)
    finally:
        readability_module.text_length = fast_length
    return stock, TreeDocument(tree).summary(html_partial=True)


def test_text_length_is_installed_and_is_readabilitys():
    assert install_text_length()
    assert readability_module.text_length is _text_length
    tree = load_html(fx.article_html())
    lengths = [(_text_length(e), stock_text_length(e)) for e in tree.iter()]
    assert all(a == b for a, b in lengths) and max(a for a, _ in lengths) > 500


def test_same_summary_on_the_fixture_article():
    stock, fast = _summaries(fx.article_html())
    assert fast == stock


@pytest.mark.skipif(not (EXTRACTION / "dev" / "html").is_dir(), reason="extraction dev set not available")
def test_same_summary_on_the_dev_pages():
    pages = sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))
    assert pages
    for page in pages:
        stock, fast = _summaries(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
        assert fast == stock, page.name


def test_same_summary_with_nested_hidden_and_undisplayed_blocks():
    story = "".join(f"<p>{p}</p>" for p in fx.STORY)
    html = f"""<html><body><div id="main"><h1>Ferry terminal to close</h1>{story}
      <div hidden><p style="display:none">Hidden promo inside a hidden box, long enough to score.</p>
        <div style="visibility: hidden"><p>Nested invisible text in a hidden block.</p></div></div>
      <div style="display: none"><p hidden>Undisplayed and hidden.</p><p>Undisplayed only.</p></div>
      <p style="color: red">{fx.STORY[0]}</p><section hidden="hidden"><p>Gone.</p></section></div>
      </body></html>"""
    stock, fast = _summaries(html)
    assert fast == stock
    assert "Ferry terminal" in fast or fx.STORY[0][:40] in fast
    assert "Hidden promo" not in fast and "Undisplayed" not in fast


def test_copied_methods_are_installed_for_this_readability():
    assert install_copies() == ["sanitize", "select_best_candidate", "tags", "reverse_tags"]
    assert TreeDocument.sanitize is not Document.sanitize


def _random_page(rng: random.Random) -> str:
    """Nested blocks that sanitize keeps or drops in many orders: headers, call-to-action
    paragraphs, forms, iframes, link-heavy lists, empty divs next to long ones, tables with
    commas, so that lengths measured before a drop are asked for again after it."""
    words = ["ferry", "harbour", "council", "vote", "pier", "ticket", "survey", "market", "quay"]

    def sentence(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n)) + rng.choice([".", ",", ", and", "!"])

    def block(depth: int) -> str:
        kind = rng.randrange(12)
        inner = "".join(block(depth + 1) for _ in range(rng.randint(0, 3))) if depth < 4 else ""
        cls = rng.choice(["", ' class="content"', ' class="sidebar"', ' class="related"', ' id="main"',
                          ' class="story-body"', ' class="comment"'])
        if kind == 0:
            return f"<h{rng.randint(1, 4)}{cls}>{sentence(4)}<a href='/x'>{sentence(2)}</a></h1>"
        if kind == 1:
            return f"<p>{rng.choice(['Subscribe now ', 'Sign up ', ''])}<a href='/s'>{sentence(3)}</a>{sentence(8)}</p>"
        if kind == 2:
            return f"<form><input type='hidden'><input>{sentence(3)}</form>"
        if kind == 3:
            src = rng.choice(["https://www.youtube.com/embed/x", "https://ads.example/x"])
            return f"<iframe src='{src}'>{sentence(2)}</iframe>"
        if kind == 4:
            items = "".join(f"<li><a href='/{i}'>{sentence(3)}</a></li>" for i in range(rng.randint(1, 6)))
            return f"<ul{cls}>{items}{inner}</ul>"
        if kind == 5:  # no text, one image: kept only if a neighbour has > 1000 characters
            return f"<section{cls}><img src='x.jpg'></section>"
        if kind == 6:  # a table measured before the blocks inside it are dropped
            cells = "".join(f"<td>{sentence(rng.randint(10, 200))}{inner}</td>" for _ in range(rng.randint(1, 3)))
            return f"<table{cls}><tr>{cells}</tr></table>"
        if kind == 7:
            return f"<section{cls}><p>{sentence(30)}</p>{inner}<img src='a.jpg'><img src='b.jpg'></section>"
        if kind == 8:
            return f"<aside{cls}>{inner}<p>{sentence(6)}</p></aside>"
        if kind == 9:
            return f"<div{cls}>{sentence(5)}<a href='/l'>{sentence(5)}</a>{inner}<br>{sentence(3)}</div>"
        return f"<div{cls}><p>{sentence(rng.randint(5, 60))}</p>{inner}<p>{sentence(rng.randint(5, 40))}</p></div>"

    body = "".join(block(0) for _ in range(rng.randint(3, 8)))
    return f"<html><body><div class='page'>{body}</div></body></html>"


def test_same_summary_on_random_nested_markup():
    rng = random.Random(11)
    for i in range(150):
        html = _random_page(rng)
        stock, fast = _summaries(html)
        assert fast == stock, (i, html)


def test_same_summary_when_a_drop_shortens_a_measured_neighbour():
    # sanitize measures the table (tables go first), then drops the link list inside it, then
    # asks the table's length again for the image-only section next to it (kept only if its
    # neighbour has more than 1000 characters): the length must be the one after the drop.
    for n in range(900, 1020, 7):
        html = f"""<html><body><div class="page"><section><img src="a.jpg"></section>
          <table><tr><td>{("word " * 400)[:n]}<ul><li><a href="/x">a link list item</a></li></ul></td></tr>
          </table><p>{"Story text, with commas. " * 20}</p></div></body></html>"""
        stock, fast = _summaries(html)
        assert fast == stock, n


@pytest.mark.skipif(not (EXTRACTION / "dev" / "html").is_dir(), reason="extraction dev set not available")
def test_text_of_is_text_content_on_the_dev_pages():
    checked = 0
    for page in sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))[:20]:
        tree = load_html(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
        for elem in tree.iter(etree.Element):
            assert text_of(elem) == elem.text_content()
            checked += not len(elem)
    assert checked > 1000


def test_unlikely_pair_is_the_verdict_on_the_joined_string():
    rng = random.Random(3)
    parts = ["", "comment", "Comments", "main", "sidebar-ad", "article", "ad-break", "foot", "K", "\u212aomment",
             "ſidebar", "menu", "contentMenu", "header", "twitter", "x", "ß", "Ärger", "popup", "shadow"]
    for _ in range(3000):
        cls = rng.choice([None, *(" ".join(rng.sample(parts, rng.randint(1, 3))) for _ in range(2))])
        ident = rng.choice([None, rng.choice(parts) + rng.choice(["", "-1", "Bar"])])
        joined = f"{cls or ''} {ident or ''}"
        expected = len(joined) >= 2 and _unlikely(joined)
        assert _unlikely_pair(cls, ident) == expected, (cls, ident)


def test_same_summary_with_unlikely_blocks_inside_dropped_ones():
    story = "".join(f"<p>{p}</p>" for p in fx.STORY)
    html = f"""<html><body><div id="main"><h1>Ferry terminal to close</h1>{story}
      <div hidden><div class="sidebar"><article><p>{fx.STORY[1]}</p></article></div></div>
      <div style="display:none"><div class="comment"><p>{fx.STORY[2]}</p></div></div>
      <noscript><div class="menu"><p>{fx.STORY[3]}</p></div></noscript>
      <div class="footer-links"><a href="/a">About</a> <a href="/b">Contact us today</a></div>
      <div class="sidebar"><div class="comments"><p>{fx.COMMENTS[0]}</p></div></div></div>
      </body></html>"""
    stock, fast = _summaries(html)
    assert fast == stock
    assert fx.COMMENTS[0][:30] not in fast


@pytest.mark.parametrize("markup", [
    "<div>a<!-- comment -->b<?pi x?>c<span>d<b>e</b>f</span>g</div>tail",
    "<div>&amp; &lt;x&gt; &nbsp;\u00e9<script>var a = '<b>';</script><style>p{}</style></div>",
    "<div><p></p><p>  spaced \n\t text </p>\ud7ff\U0001f600</div>",
    "<div><br>x<br/><img alt='no text'>y</div>",
])
def test_text_of_is_text_content(markup):
    root = lxml.html.fragment_fromstring(markup, create_parent="section")
    for elem in root.iter(etree.Element):
        assert text_of(elem) == elem.text_content()

