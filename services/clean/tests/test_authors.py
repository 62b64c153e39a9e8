"""The byline search gives trafilatura's metadata.extract_author result."""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import pytest
from trafilatura.metadata import extract_author

from newswire_clean._authors import page_author
from newswire_clean.html_extract import load_html

sys.path.insert(0, str(Path(__file__).parent))

import fixtures as fx

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))


def _page(body: str) -> str:
    return f"<html><head><title>t</title></head><body>{body}<p>{fx.STORY[0]}</p></body></html>"


@pytest.mark.parametrize("body", [
    '<div class="byline">By Jonas Brekke</div>',
    '<div class="byline">By<time>5 March</time>Jonas Brekke</div>',  # tail glued, no space
    '<div class="byline">By <span class="date">today</span><time>x</time> Jonas Brekke, staff</div>',
    '<div class="sidebar"><span class="author">Side Bar</span></div><p class="byline">Real Name</p>',
    '<span class="author-name">A</span><a rel="author" href="/x">Ann Other</a>',
    '<p><rel>me</rel>Ann Other</p>',
    '<section class="comments"><div class="author">Commenter Name</div></section>',
    '<div data-component="Byline">Written by Kari Nordmann</div>',
    '<h4 id="zuozhe">Li Wei</h4>',
    '<author>Some Body</author>',
    '<div class="writer">' + "very long " * 20 + "</div>",
    "<p>No byline here.</p>",
])
def test_same_author_as_trafilatura(body):
    tree = load_html(_page(body))
    assert page_author(tree) == extract_author(tree)


def test_same_author_on_the_fixture_article():
    tree = load_html(fx.article_html())
    assert page_author(tree) == extract_author(tree) == "Jonas Brekke"


@pytest.mark.skipif(not (EXTRACTION / "dev" / "html").is_dir(), reason="extraction dev set not available")
def test_same_author_on_the_dev_pages():
    pages = sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))
    assert pages
    for page in pages:
        tree = load_html(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
        assert page_author(tree) == extract_author(tree), page.name
