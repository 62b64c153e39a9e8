"""Offline NDJSON enrichment (`newswire enrich`)."""

import json

import pytest

from newswire_common.contracts import EnrichedArticle
from newswire_common.ids import article_id
from newswire_enrich.cli import InputLineError, enrich_lines


def test_enrich_lines_from_raw_keeps_order(bbc, seed_text):
    subs = [
        {"url": "https://news.example.com/world/iraq-syria", "text": seed_text,
         "published_at": "Tuesday", "language": "en-GB"},
        {"title": bbc("bbc-tech-186")["title"], "text": bbc("bbc-tech-186")["text"]},
        {"url": "https://news.example.com/tech/google", "title": "Google",
         "html": "<html><body><article><h1>Google news site</h1><p>"
                 + bbc("bbc-tech-186")["text"].replace("\n\n", "</p><p>")
                 + "</p></article></body></html>"},
    ]
    lines = [json.dumps(s) for s in subs] + [""]
    out = [EnrichedArticle.model_validate_json(o) for o in enrich_lines(lines, from_raw=True)]
    assert len(out) == 3
    assert out[0].article_id == article_id(subs[0]["url"], subs[0]["text"])
    assert out[1].article_id == article_id(None, subs[1]["text"])
    assert out[0].language == "en" and out[0].published_at_raw == "Tuesday"
    assert out[0].published_at is not None and out[0].published_at.weekday() == 1
    assert any(e.name == "Nouri al-Maliki" for e in out[0].entities)
    assert out[2].section == "tech"
    assert all(o.near_duplicate_of is None for o in out)
    assert all(5 <= len(o.keywords) <= 10 for o in out)


def test_enrich_lines_clean_articles(make, bbc):
    arts = [make(bbc(i)["text"], title=bbc(i)["title"], article_id=i)
            for i in ("bbc-sport-006", "bbc-business-066")]
    out = [json.loads(o) for o in enrich_lines([a.model_dump_json() for a in arts], False)]
    assert [o["article_id"] for o in out] == ["bbc-sport-006", "bbc-business-066"]
    assert {"name": "Maurice Greene", "type": "person"}.items() <= {
        k: v for e in out[0]["entities"] if e["name"] == "Maurice Greene"
        for k, v in e.items()}.items()


def test_enrich_lines_reports_bad_line():
    with pytest.raises(InputLineError, match="line 2"):
        list(enrich_lines(['{"text": "A fine story about Paris and London today."}',
                           '{"url": "ftp://x", "text": "x"}'], from_raw=True))
