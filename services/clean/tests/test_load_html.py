"""Parsing: the repair step matches trafilatura's, the tree is plain HtmlElements."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import INVALID_XML_CHARS, repair_faulty_html

from newswire_clean.cli import decode_bytes
from newswire_clean.html_extract import _PARSER, _XML_INVALID, _repair, load_html

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))
DEV_PAGES = sorted((EXTRACTION / "dev" / "html").glob("*.html.gz"))


def test_invalid_characters_are_the_regex_ones():
    assert set(_XML_INVALID) == {chr(i) for i in range(0x110000) if INVALID_XML_CHARS.match(chr(i))}


@pytest.mark.parametrize("text", [
    "<!DOCTYPE html>\n<html/>\n<p>a\x00b</p>",
    "<html lang=en/>\n<body>\x1fx\ufffe</body>",
    '< ! doctype html PUBLIC "a/b">\nrest',
    "plain\n\x0b text",
    "<html><body><p>clean</p></body></html>",
])
def test_repair_as_trafilatura(text):
    beginning = text[:50].lower()
    assert _repair(text, beginning) == repair_faulty_html(text, beginning)


def test_tree_and_copies_are_plain_html_elements():
    tree = load_html("<html><body><form><input name=a><label>x</label></form><p>y</p></body></html>")
    for t in (tree, copy.deepcopy(tree)):
        assert {type(e) for e in t.iter()} == {HtmlElement}


def test_not_html_is_none():
    assert load_html("just words, no markup") is None


def _str_parse(text: str):
    """The previous load_html: lxml parses the str itself."""
    text = _repair(text, text[:50].lower())
    try:
        tree = lxml.html.fromstring(text, parser=_PARSER)
    except ValueError:
        tree = None
    if tree is None or len(tree) < 1:
        tree = lxml.html.fromstring(text.encode("utf8", "surrogatepass"), parser=_PARSER)
    return tree


@pytest.mark.parametrize("text", [
    "<html><body><p>caf\u00e9 \u2019quoted\u2019 \U0001f600</p></body></html>",
    "\u00a0<html><body><p>a</p></body></html>",  # non-ASCII blank before the tag: str parse
    "\u2003<div>one</div><div>two</div>",
    "<p>lone \ud800 surrogate</p><p>b</p>",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>\u00e9</p></body></html>',
    "  <p>one \u00e9</p><p>two</p>",
    # The str was decoded from the page's own charset already; its declaration must not make
    # libxml2 read the UTF-8 bytes as windows-1252 or Latin-1 (mojibake).
    '<html><head><meta charset="iso-8859-1"><meta http-equiv="Content-Type" '
    'content="text/html; charset=windows-1252"></head><body><p>Caf\u00e9 \u00a35 \u2014 '
    '\u201cq\u201d</p></body></html>',
])
def test_utf8_parse_gives_the_str_parse_tree(text):
    assert etree.tostring(load_html(text)) == etree.tostring(_str_parse(text))


@pytest.mark.skipif(not DEV_PAGES, reason="extraction dev set not available")
def test_a_declared_legacy_charset_does_not_garble_the_decoded_text():
    html = ('<html><head><meta charset="windows-1252"></head>'
            '<body><p>Caf\u00e9 \u00a35 \u2014 \u201cquoted\u201d</p></body></html>')
    assert load_html(html).text_content() == "Caf\u00e9 \u00a35 \u2014 \u201cquoted\u201d"


@pytest.mark.skipif(not DEV_PAGES, reason="extraction dev set not available")
def test_utf8_parse_on_dev_pages():
    for page in DEV_PAGES:
        text = decode_bytes(page.read_bytes())
        assert etree.tostring(load_html(text)) == etree.tostring(_str_parse(text)), page.name
