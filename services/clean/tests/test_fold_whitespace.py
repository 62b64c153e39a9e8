"""html_text's whitespace fold, replaced by a str.split() version: same text for every blank."""

from __future__ import annotations

import random
import sys

import html_text.html_text as html_text_module

from newswire_clean.html_extract import fold_whitespace, install_fold_whitespace

#: Every character str.isspace() accepts, plus look-alikes that are not blanks.
BLANKS = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
NOT_BLANKS = ["\u200b", "\ufeff", "\u00ad", "\u2060", "a", "é", "—", ","]


def test_fold_whitespace_is_installed():
    assert install_fold_whitespace()
    assert html_text_module._normalize_whitespace is fold_whitespace


def test_same_fold_as_html_texts_regex():
    stock = html_text_module._whitespace
    rng = random.Random(5)
    for _ in range(5000):
        text = "".join(rng.choice(BLANKS + NOT_BLANKS) for _ in range(rng.randint(0, 30)))
        assert fold_whitespace(text) == stock.sub(" ", text.strip()), repr(text)
    assert fold_whitespace("  a \u00a0\n b\u2028c  ") == "a b c"
