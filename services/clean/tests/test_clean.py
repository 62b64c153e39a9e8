"""Clean stage: boilerplate removal, metadata, the seed article and hostile input."""

from __future__ import annotations

import gzip
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import fixtures as fx

from newswire_clean.cli import clean_paths, decode_bytes
from newswire_clean.core import (
    EmptyArticleError,
    clean_article,
    extract,
    looks_like_html,
    normalise_text,
    parse_date,
)
from newswire_common.contracts import RawArticle

REPO_ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


def raw(**kw) -> RawArticle:
    return RawArticle(article_id="a1", trace_id="t1", received_at=NOW, **kw)


def paragraphs(body: str) -> list[str]:
    return body.split("\n\n")


BOILERPLATE = [
    *fx.NAV[1:],  # "Home" may legitimately appear inside words; the rest are whole lines
    "Share on Facebook", "Share on Twitter", "cookies", "Subscribe to our daily newsletter",
    *fx.RELATED, *fx.COMMENTS, "Leave a reply", "All rights reserved", "Privacy policy",
    "days ago", "hours ago", "Reply", fx.AUTHOR_BIO, "xQzWvbNtrk", "Related",
]


# --- HTML ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def html_article():
    return clean_article(raw(html=fx.article_html()), now=NOW)


def test_html_body_is_exactly_the_story(html_article):
    assert paragraphs(html_article.body) == fx.STORY


@pytest.mark.parametrize("junk", BOILERPLATE)
def test_html_boilerplate_removed(html_article, junk):
    lines = html_article.body.split("\n")
    assert junk not in html_article.body or junk in {"Business", "Sport"} and junk not in lines


def test_html_byline_and_caption_not_repeated(html_article):
    assert "By Jonas Brekke" not in html_article.body
    assert html_article.body.count(fx.CAPTION) <= 1


def test_html_metadata(html_article):
    a = html_article
    assert a.title == "Port Ellis ferry terminal to close after 120 years"
    assert a.published_at == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert a.canonical_url == "https://gazette.example/news/port-ellis-ferry"
    assert a.site_name == "The Coast Gazette"
    assert a.source == "The Coast Gazette"
    assert a.lead_image_url == "https://gazette.example/img/ferry-terminal.jpg"
    assert a.language == "en-GB"
    assert a.content_type == "html"
    assert [x.name for x in a.authors] == ["Jonas Brekke"]
    assert a.authors[0].bio == fx.AUTHOR_BIO


def test_publisher_fields_win_over_extracted():
    a = clean_article(raw(html=fx.article_html(), title="Publisher title", authors=["A. Writer"],
                          published_at="2020-01-02T03:04:05Z", language="nb", source="Wire",
                          url="https://pub.example/x"), now=NOW)
    assert a.title == "Publisher title"
    assert [x.name for x in a.authors] == ["A. Writer"]
    assert a.published_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert a.language == "nb"
    assert a.source == "Wire"
    assert a.url == "https://pub.example/x"


def test_language_from_og_locale_when_no_html_lang():
    html = fx.article_html(lang_attr="", extra_head='<meta property="og:locale" content="fr_FR">')
    assert extract(html).language == "fr-FR"


def test_language_absent_when_not_declared():
    html = fx.article_html(lang_attr="")
    assert extract(html).language is None


def test_html_date_from_time_element_only():
    html = fx.article_html().replace(
        '<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">', "")
    found = extract(html)
    assert found.published_at_raw is not None
    assert parse_date(found.published_at_raw).date().isoformat() == "2024-03-05"


def test_html_entities_and_mojibake_repaired():
    story = " ".join(fx.STORY[:2])
    html = (f"<html><body><article><h1>Head</h1><p>Fish &amp; chips cost &pound;5 at the "
            f"cafÃ© on the quay, itâ€™s said, today, and {story}</p><p>{fx.STORY[2]}</p>"
            f"<p>{fx.STORY[3]}</p></article></body></html>")
    body = extract(html).body
    assert "Fish & chips cost £5 at the café on the quay, it’s said, today" in body
    assert "&amp;" not in body and "Ã" not in body


@pytest.mark.parametrize("value,expected", [
    ("2024-03-05T09:30:00Z", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
    ("Tue, 05 Mar 2024 09:30:00 GMT", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
    ("March 5, 2024", datetime(2024, 3, 5)),
    ("5 March 2024", datetime(2024, 3, 5)),
    ("2024/03/05", datetime(2024, 3, 5)),
    ("1709631000", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
])
def test_parse_date_formats(value, expected):
    assert parse_date(value) == expected


def test_parse_date_rejects_non_dates():
    assert parse_date("not a date at all") is None
    assert parse_date(None) is None


# --- plain text ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def text_article():
    return clean_article(raw(text=fx.article_text()), now=NOW)


def test_text_body_is_exactly_the_story(text_article):
    assert paragraphs(text_article.body) == fx.STORY
    assert text_article.content_type == "text"


@pytest.mark.parametrize("junk", BOILERPLATE)
def test_text_boilerplate_removed(text_article, junk):
    assert junk not in text_article.body


def test_text_metadata(text_article):
    assert text_article.title == "Port Ellis ferry terminal to close after 120 years"
    assert [a.name for a in text_article.authors] == ["Jonas Brekke"]
    assert text_article.authors[0].bio == fx.AUTHOR_BIO
    assert text_article.published_at == datetime(2024, 3, 5)


def test_text_repeated_lines_outside_story_dropped():
    text = "\n".join(["Menu", "News", "Sport", "", *fx.STORY, "", "Menu", "News", "Sport",
                      "Most read", "Subscribe now"])
    assert paragraphs(extract(text).body) == fx.STORY


def test_normalise_text_whitespace_nfc_quotes():
    assert normalise_text("  cafe\u0301\u00a0\u00a0bar \t\n\n\n\nnext\u200b line ") == "café bar\n\nnext line"
    assert normalise_text("“curly” ‘quotes’ stay") == "“curly” ‘quotes’ stay"


def test_normalise_text_repairs_mojibake_and_entities_only():
    assert normalise_text("cafÃ© itâ€™s") == "café it’s"
    assert normalise_text("São Paulo™ à la “carte”") == "São Paulo™ à la “carte”"
    assert normalise_text("Fish &amp; chips&nbsp;&shy;x") == "Fish & chips x"
    assert normalise_text(" a \u2028\n\u3000 b\t\r\n\r\n\r\n\r\nc\u2029") == "a\nb\n\nc"


@pytest.mark.parametrize("line,is_hard", [
    ("Related Stories", True), ("— Most Read —", True), ("[ Read all comments ]", True),
    ("12 Comments", True), ("12 comments:", True), ("Posted 3 hours ago", True),
    ("an hour ago", True), ("Yesterday", True), ("Tue, 5 March 2024", True),
    ("2024-03-05T09:30:00Z", True), ("March 5, 2024 at 9:30 am", True), ("Leave a Reply", True),
    ("Home", True), ("World news", False), ("The ferry sails at 9", False),
    ("Read the full report", False), ("12 ships docked", False),
])
def test_text_header_lines_are_boilerplate_beyond_doubt(line, is_hard):
    """List headers, comment headers, relative times and bare dates are dropped even inside
    the story's span; other short lines are only scored down."""
    from newswire_clean.text_extract import _line_scores, _lower_lines

    lowered, words = _lower_lines([line])
    _scores, hard = _line_scores([line], lowered, words, frozenset({"the", "at", "a"}))
    assert hard == [is_hard]


def test_looks_like_html():
    assert looks_like_html("<!DOCTYPE html><html><body>x</body></html>")
    assert looks_like_html("  <div><p>hello</p></div>")
    assert not looks_like_html("Plain text about a < b and c > d.\nSecond line.")


# --- the seed article -----------------------------------------------------------------------

SEED = Path(os.environ.get("NEWSWIRE_SEED_ARTICLE", REPO_ROOT.parent / "shared" / "seed" / "article.txt"))


@pytest.mark.skipif(not SEED.exists(), reason="seed article not available")
def test_seed_article():
    a = clean_article(raw(text=SEED.read_text(encoding="utf-8")), now=NOW)
    paras = [p for p in paragraphs(a.body)
             if p != "Syria carried out air strikes on ISIS militants inside Iraqi territory"]
    assert len(paras) == 9
    assert paras[0].startswith("Iraq’s PM Nouri al-Maliki has confirmed")
    assert paras[-1].endswith("its brutality and extremism.")
    assert a.title == "Iraq: Syria carried out air strikes on ISIS militants"
    assert [x.name for x in a.authors] == ["Roy Siemens"]
    assert a.authors[0].bio.startswith("Roy likes politics.")
    for junk in ("Roy likes politics", "oKFopenGucc", "Recent Posts", "Quincy Jones",
                 "Kamala Harris", "2 weeks ago"):
        assert junk not in a.body


# --- hostile input -------------------------------------------------------------------------

@pytest.mark.parametrize("html", [
    "<html><head><script>var a = 1;</script><style>p {color: red}</style></head><body></body></html>",
    "<html><body><script>" + "console.log('x');" * 1000 + "</script></body></html>",
    "<html><body><nav><a href='/'>Home</a></nav></body></html>",
])
def test_script_style_only_html_is_empty(html):
    with pytest.raises(EmptyArticleError):
        clean_article(raw(html=html), now=NOW)


@pytest.mark.parametrize("text", ["", "   \n\n\t  ", "Home\nNews\nSport\n"])
def test_empty_text_is_empty(text):
    with pytest.raises(EmptyArticleError):
        clean_article(raw(text=text), now=NOW)


def test_huge_single_line_text_does_not_hang():
    line = ("word " * 1_000_000)[:5_000_000]
    started = time.perf_counter()
    try:
        a = clean_article(raw(text=line), now=NOW)
        assert len(a.body) <= len(line)
    except EmptyArticleError:
        pass
    assert time.perf_counter() - started < 20


def test_huge_single_line_html_does_not_hang():
    html = "<html><body><p>" + ("lorem ipsum dolor sit amet " * 190_000) + "</p></body></html>"
    started = time.perf_counter()
    try:
        clean_article(raw(html=html), now=NOW)
    except EmptyArticleError:
        pass
    assert time.perf_counter() - started < 30


def test_deeply_nested_markup():
    depth = 5000
    html = ("<html><body>" + "<div>" * depth + "".join(f"<p>{p}</p>" for p in fx.STORY)
            + "</div>" * depth + "</body></html>")
    started = time.perf_counter()
    try:
        a = clean_article(raw(html=html), now=NOW)
        assert fx.STORY[0][:60] in a.body
    except EmptyArticleError:
        pass
    assert time.perf_counter() - started < 20


# --- clean_paths ----------------------------------------------------------------------------

def test_clean_paths_mixed_inputs(tmp_path):
    html_gz = tmp_path / "page.html.gz"
    html_gz.write_bytes(gzip.compress(fx.article_html().encode()))
    plain = tmp_path / "page.txt"
    plain.write_text(fx.article_text(), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(fx.article_text().encode("utf-8") + b"\xff\xfe\xc3(")
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><script>x()</script></body></html>")
    missing = tmp_path / "missing.txt"
    paths = [html_gz, plain, bad, empty, missing]

    out = list(clean_paths(paths, url=None))

    assert [o["source_path"] for o in out] == [str(p) for p in paths]
    assert out[0]["content_type"] == "html" and out[0]["body"].split("\n\n") == fx.STORY
    assert out[1]["content_type"] == "text" and out[1]["body"].split("\n\n") == fx.STORY
    assert out[2]["body"].split("\n\n") == fx.STORY
    assert "EmptyArticleError" in out[3]["error"]
    assert "error" in out[4]
    for o in out[:3]:
        assert "error" not in o
        assert len(o["article_id"]) == 24 and o["trace_id"] and o["received_at"]
        assert o["title"] == "Port Ellis ferry terminal to close after 120 years"
    assert out[0]["trace_id"] != out[1]["trace_id"]


def test_clean_paths_url_gives_stable_article_id(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(fx.article_html(), encoding="utf-8")
    a = next(clean_paths([page], url="https://gazette.example/news/port-ellis-ferry?utm_source=x"))
    b = next(clean_paths([page], url="https://gazette.example/news/port-ellis-ferry"))
    assert a["article_id"] == b["article_id"]
    assert a["url"].endswith("utm_source=x")


def test_decode_bytes_handles_bad_and_legacy_encodings():
    assert decode_bytes("café".encode()) == "café"
    assert decode_bytes(b"\xef\xbb\xbfhello") == "hello"
    legacy = ("Le café du port ferme ses portes après cent ans de service. " * 20).encode("cp1252")
    assert "café" in decode_bytes(legacy)
    assert "\ufffd" in decode_bytes(b"ok text \xff here")


# --- evaluation harness ----------------------------------------------------------------------

EXTRACTION = Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))


@pytest.mark.skipif(not (EXTRACTION / "dev" / "ground-truth.json").exists(),
                    reason="extraction dev set not available")
def test_eval_clean_on_a_few_dev_pages(tmp_path):
    import json

    from newswire_clean.cli import eval_clean

    truth = json.loads((EXTRACTION / "dev" / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:4]
    dev = tmp_path / "dev"
    (dev / "html").mkdir(parents=True)
    (dev / "text").mkdir()
    (dev / "ground-truth.json").write_text(json.dumps({k: truth[k] for k in keys}))
    for k in keys:  # links to the shared pages, in a temporary folder
        (dev / "html" / f"{k}.html.gz").symlink_to(EXTRACTION / "dev" / "html" / f"{k}.html.gz")
        (dev / "text" / f"{k}.txt").symlink_to(EXTRACTION / "dev" / "text" / f"{k}.txt")
    (tmp_path / "score.py").symlink_to(EXTRACTION / "score.py")

    result = eval_clean(tmp_path)

    assert set(result) == {"html", "text"}
    for kind in ("html", "text"):
        assert result[kind]["pages"] == 4
        assert 0.5 < result[kind]["f1"] <= 1.0
        assert 0 <= result[kind]["precision"] <= 1 and 0 <= result[kind]["recall"] <= 1


def test_text_title_byline_and_date_from_header():
    text = "\n".join([
        "Port Ellis ferry terminal to close after 120 years - The Coast Gazette",
        "", *fx.NAV, "",
        "Trending: Storm warning for the north coast",
        "Port Ellis ferry terminal to close after 120 years",
        "By Jonas Brekke, Transport Correspondent",
        "Updated March 5, 2024 at 9:30 am",
        "", *fx.STORY, "",
        "Related Posts", *fx.RELATED,
    ])
    found = extract(text)
    assert found.title == "Port Ellis ferry terminal to close after 120 years"
    assert [a.name for a in found.authors] == ["Jonas Brekke"]
    assert parse_date(found.published_at_raw) == datetime(2024, 3, 5, 9, 30)
    assert paragraphs(found.body) == fx.STORY
