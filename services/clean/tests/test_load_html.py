"""Parsing: the repair step matches trafilatura's, the tree is plain HtmlElements."""

from __future__ import annotations

import copy

import pytest
from lxml.html import HtmlElement
from trafilatura.utils import INVALID_XML_CHARS, repair_faulty_html

from newswire_clean.html_extract import _XML_INVALID, _repair, load_html


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
