"""The seed article: a scraped page with the story followed by an author box and a list of
unrelated posts (Donald Trump, Kamala Harris, Quincy Jones, ...)."""

from datetime import UTC, datetime

import pytest

from newswire_clean.core import clean_article
from newswire_common.contracts import RawArticle
from newswire_enrich.core import enrich_article

RECEIVED = datetime(2014, 6, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def enriched(seed_text):
    raw = RawArticle(article_id="seed", trace_id="t", received_at=RECEIVED, text=seed_text,
                     url="https://news.example.com/world/iraq-syria-air-strikes-isis")
    clean = clean_article(raw, now=RECEIVED)
    assert clean.body.startswith("Iraq’s PM Nouri al-Maliki has confirmed")
    assert clean.body.endswith("brutality and extremism.")
    return enrich_article(clean, now=RECEIVED)


def by_type(enriched, type_):
    return {e.name: e.count for e in enriched.entities if e.type == type_}


def test_seed_people(enriched):
    people = by_type(enriched, "person")
    assert people.get("Nouri al-Maliki") == 3  # "Nouri al-Maliki" x3 in the story
    assert not any("Maliki" in name for name in people if name != "Nouri al-Maliki")


def test_seed_places(enriched):
    places = by_type(enriched, "place")
    for name in ("Iraq", "Syria", "Iran", "Mosul", "Baghdad", "Qaim", "Albu Kamal"):
        assert name in places, (name, places)


def test_seed_organisations_deduplicated(enriched):
    orgs = by_type(enriched, "organization")
    assert orgs.get("ISIS", 0) >= 5  # ISIS x4 (one in the title) and Isis x2, one entity
    assert "Isis" not in orgs
    assert "Nusra Front" in orgs


def test_seed_nothing_from_boilerplate(enriched):
    names = {e.name for e in enriched.entities}
    for junk in ("Donald Trump", "Kamala Harris", "Roy Siemens", "Quincy Jones", "Elon Musk",
                 "Recent Posts", "UFC", "Florida", "Wikimedia Commons"):
        assert junk not in names
    assert "trump" not in " ".join(enriched.keywords)
    assert "Recent Posts" not in enriched.summary


def test_seed_other_fields(enriched):
    assert enriched.language == "en"
    assert enriched.summary.startswith("Iraq’s PM Nouri al-Maliki has confirmed that Syria")
    assert 5 <= len(enriched.keywords) <= 10
    assert any("air strikes" in kw for kw in enriched.keywords)
    assert 200 <= enriched.word_count <= 260
    assert enriched.reading_time_minutes == 1  # 221 words at 230 words a minute
    assert enriched.slug == "iraq-syria-air-strikes-isis" and enriched.section == "world"
