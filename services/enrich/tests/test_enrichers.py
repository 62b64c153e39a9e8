"""Unit tests for each enricher, on real news text."""

from datetime import UTC, datetime

import pytest

from newswire_enrich.core import (
    enrich_article,
    extract_keywords,
    section_from,
    slug_from,
    summarise,
)
from newswire_enrich.dates import resolve_published_at
from newswire_enrich.entities import LowerWords, extract_entities
from newswire_enrich.keywords import stopwords
from newswire_enrich.language import detect_language, normalise_language, plainly_english

RECEIVED = datetime(2014, 6, 26, 9, 30, tzinfo=UTC)  # a Thursday, as in conftest


# --- language -------------------------------------------------------------------------------

GERMAN = ("Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Förderung erneuerbarer "
          "Energien beschlossen. Nach Angaben des Wirtschaftsministeriums sollen bis zum Jahr "
          "2030 mindestens achtzig Prozent des Stroms aus Wind und Sonne stammen.")
SPANISH = ("El Gobierno aprobó este martes un nuevo plan para reducir el desempleo juvenil, "
           "que según los últimos datos supera el treinta por ciento en varias regiones del país.")


def test_language_english_german_spanish(bbc):
    assert detect_language(bbc("bbc-business-001")["text"]) == "en"
    assert detect_language(GERMAN) == "de"
    assert detect_language(SPANISH) == "es"


# the languages whose function words are closest to English
DUTCH = ("Het kabinet heeft dinsdag een nieuw plan gepresenteerd om de woningnood aan te pakken. "
         "Volgens de minister moeten er de komende tien jaar ongeveer een miljoen huizen bij "
         "komen, vooral in de grote steden en in de regio rond Utrecht.")
DANISH = ("Regeringen har i dag fremlagt et nyt forslag om at styrke den kollektive trafik i hele "
          "landet. Ifølge transportministeren skal der bruges flere milliarder kroner på nye tog "
          "og busser i de kommende år, især uden for de store byer.")
FRENCH = ("Le gouvernement a présenté mardi un projet de loi pour réformer le système des "
          "retraites. Selon le ministre, il s'agit de garantir l'équilibre financier du régime "
          "d'ici à la fin de la décennie, malgré l'opposition des syndicats.")


def test_plain_english_skips_lingua_other_languages_do_not(bbc):
    lead = bbc("bbc-business-001")["text"][:400]
    assert plainly_english(lead)
    for text, code in ((GERMAN, "de"), (SPANISH, "es"), (DUTCH, "nl"), (DANISH, "da"),
                       (FRENCH, "fr")):
        assert not plainly_english(text)
        assert detect_language(text) == code
    # too short to judge by stop words: lingua decides
    assert not plainly_english("The market is up")
    assert detect_language("The market is up and the pound is down") == "en"


def test_publisher_language_wins_and_is_normalised(bbc, make):
    art = make(bbc("bbc-business-001")["text"], language="fr-FR")
    assert enrich_article(art).language == "fr"
    assert enrich_article(make(GERMAN, title="Energie")).language == "de"
    assert normalise_language("EN_gb") == "en"
    assert normalise_language("deu") == "de"
    assert normalise_language("English") == "en"
    assert normalise_language("not a language") is None


# --- entities -------------------------------------------------------------------------------

def ents(text: str) -> dict[tuple[str, str], int]:
    return {(e.name, e.type): e.count for e in extract_entities(text)}


def test_lower_words_are_whole_lower_case_runs():
    words = LowerWords("The police said the well-known rock'n'roll' band's e.g. lead "
                       "singer, a naïve café owner, left; x_y and police-led raids.")
    for word in ("police", "said", "well-known", "rock'n'roll'", "band's", "e", "g", "a",
                 "naïve", "café", "x_y", "police-led", "raids"):
        assert word in words, word
    for word in ("the police", "The", "well", "known", "rock", "band", "e.g", "x", "y",
                 "polic", "led", "aids", "", "nothere"):
        assert word not in words, word


def test_entities_case_variants_are_one_organisation():
    found = ents("ISIS fighters took the town. Officials said Isis had lost ground, "
                 "and ISIS later denied it.")
    isis = [k for k in found if k[0].casefold() == "isis"]
    assert isis == [("ISIS", "organization")]
    assert found[isis[0]] == 3


def test_entities_partial_person_names_merge_with_count():
    found = ents("Iraq's PM Nouri al-Maliki met officials in Baghdad. Later al-Maliki said the "
                 "army would hold. Mr Maliki did not take questions.")
    assert found[("Nouri al-Maliki", "person")] == 3
    assert not any(name in {"al-Maliki", "Maliki"} for name, _ in found)
    assert ("Baghdad", "place") in found and ("Iraq", "place") in found


def test_entities_acronym_merges_with_its_long_name_and_titles_are_stripped():
    found = ents("The Office for National Statistics (ONS) said sales rose. The ONS figures "
                 "were welcomed by Chancellor Gordon Brown, and Mr Brown said so on Friday.")
    assert found[("Office for National Statistics", "organization")] == 3
    assert found[("Gordon Brown", "person")] == 2
    assert not any(name == "Friday" for name, _ in found)


def test_entities_on_bbc_story(bbc):
    found = ents(bbc("bbc-business-001")["text"])
    names = {name for name, _ in found}
    assert ("Google", "organization") in found
    assert ("Time Warner", "organization") in found
    assert "TimeWarner" not in names  # alias of the curated organisation
    assert not any(t == "person" and n in {"December", "Friday"} for n, t in found)


def test_entities_disabled_for_unsupported_language():
    assert extract_entities(GERMAN, language="de") == []


# --- keywords and summary -------------------------------------------------------------------

def test_keywords_shape(bbc):
    text = bbc("bbc-business-003")["text"]
    kws = extract_keywords(text, "en", 8)
    assert 5 <= len(kws) <= 10
    assert len(set(kws)) == len(kws)
    stop = stopwords("en")
    for kw in kws:
        assert kw == kw.lower()
        assert not any(w in stop for w in kw.split()), kw
        assert not any(c.isdigit() for c in kw)
    assert any("yukos" in kw for kw in kws)


def test_summary_is_extractive_from_the_story(seed_body):
    summary = summarise(seed_body, 2)
    assert summary.startswith("Iraq’s PM Nouri al-Maliki has confirmed")
    assert 1 <= summary.count(". ") + 1 <= 3
    for sentence in summary.split(". "):
        assert sentence.rstrip(".") in seed_body
    assert "Recent Posts" not in summary


def test_summary_does_not_split_on_titles():
    body = ("Mr. Smith told reporters on Monday that the deal was done. It was signed later "
            "that day in the capital by both sides. A third sentence follows here today.")
    assert summarise(body, 1) == "Mr. Smith told reporters on Monday that the deal was done."


# --- word count, dates, slug, section ------------------------------------------------------

def test_word_count_and_reading_time(make):
    body = " ".join(["word"] * 460) + "."
    out = enrich_article(make(body))
    assert out.word_count == 460
    assert out.reading_time_minutes == 2


@pytest.mark.parametrize("raw, expected", [
    ("5 days ago", datetime(2014, 6, 21, 9, 30, tzinfo=UTC)),
    ("Tuesday", datetime(2014, 6, 24, tzinfo=UTC)),
    ("24 June 2014", datetime(2014, 6, 24, tzinfo=UTC)),
    ("Published: 24 June 2014", datetime(2014, 6, 24, tzinfo=UTC)),
    ("2 weeks ago", datetime(2014, 6, 12, 9, 30, tzinfo=UTC)),
])
def test_dates_resolved_against_received_at(raw, expected, make):
    assert resolve_published_at(raw, RECEIVED) == expected
    out = enrich_article(make("Some story text that is long enough to count here.",
                                      published_at_raw=raw))
    assert out.published_at == expected
    assert out.published_at_raw == raw


def test_absolute_parsed_date_is_kept_and_garbage_gives_none():
    parsed = datetime(2014, 6, 24, 10, 0, tzinfo=UTC)
    assert resolve_published_at("2014-06-24T10:00:00Z", RECEIVED, parsed) == parsed
    assert resolve_published_at("not a date at all", RECEIVED) is None
    # a weekday parsed by the cleaner against the wall clock is re-resolved
    wrong = datetime(2026, 11, 24, tzinfo=UTC)
    assert resolve_published_at("Tuesday", RECEIVED, wrong) == datetime(2014, 6, 24, tzinfo=UTC)


def test_slug_and_section(make):
    art = make("Body text here.", title="Syria strikes ISIS in Iraq",
                       url="https://news.example.com/world/middle-east/syria-strikes.html")
    assert slug_from(art) == "syria-strikes"
    assert section_from(art) == "world"
    art2 = make("Body text here.", title="Syria strikes ISIS in Iraq", section="Politics",
                        url="https://news.example.com/world/syria-strikes")
    assert section_from(art2) == "Politics"
    art3 = make("Body text here.", title="Syria strikes ISIS in Iraq")
    assert slug_from(art3) == "syria-strikes-isis-in-iraq" and section_from(art3) is None
