"""The faster readability Document gives the stock class's output, to the character."""

from __future__ import annotations

import copy
import gzip
import os
import random
import sys
from pathlib import Path

import pytest
from lxml import etree
from readability import Document
from readability import readability as readability_module
from readability.readability import clean

from newswire_clean._readability import (
    _DISPLAY_NONE,
    TreeDocument,
    _text_length,
    clean_length,
    install_text_length,
    stock_text_length,
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
