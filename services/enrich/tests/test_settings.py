"""Entity extraction is configurable: pipeline, gazetteers, languages."""

import json

import pytest

from newswire_enrich.entities import RuleExtractor, build_gazetteer, extract_entities
from newswire_enrich.settings import EnrichSettings


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSWIRE_ENRICH_ENTITY_PIPELINE", "spacy")
    monkeypatch.setenv("NEWSWIRE_ENRICH_GAZETTEERS", f"{tmp_path}/a.jsonl,{tmp_path}/b.jsonl")
    monkeypatch.setenv("NEWSWIRE_ENRICH_LANGUAGES", "en,de")
    monkeypatch.setenv("NEWSWIRE_ENRICH_CITY_MIN_POPULATION", "1000000")
    s = EnrichSettings()
    assert s.entity_pipeline == "spacy"
    assert s.gazetteers == [f"{tmp_path}/a.jsonl", f"{tmp_path}/b.jsonl"]
    assert s.languages == ["en", "de"] and s.city_min_population == 1_000_000


def test_extra_gazetteer_and_city_population(tmp_path):
    text = "Shares in Exhibitor Relations rose. Officials in Albu Kamal said so."
    base = RuleExtractor(build_gazetteer(50_000, ())).extract(text)
    assert ("Albu Kamal", "place") in {(e.name, e.type) for e in base}
    assert ("Exhibitor Relations", "organization") not in {(e.name, e.type) for e in base}
    extra = tmp_path / "orgs.jsonl"
    extra.write_text(json.dumps({"name": "Exhibitor Relations", "type": "organization",
                                 "aliases": ["ER"]}) + "\n")
    big_cities_only = RuleExtractor(build_gazetteer(1_000_000, (str(extra),)))
    found = {(e.name, e.type): e.count for e in
             big_cities_only.extract(text + " ER later confirmed it.")}
    assert found[("Exhibitor Relations", "organization")] == 2
    # Albu Kamal (57,572 people) is not in a gazetteer of cities over a million; it is still
    # a place by context ("in X") here, so check the gazetteer directly
    assert big_cities_only.gaz.get("Albu Kamal") is None


def test_spacy_pipeline_needs_an_installed_model(monkeypatch):
    from newswire_enrich import settings as settings_mod

    monkeypatch.setattr(settings_mod, "get_enrich_settings",
                        lambda: EnrichSettings(entity_pipeline="spacy",
                                               spacy_model="no_such_model_pkg"))
    with pytest.raises(OSError):
        extract_entities("Nouri al-Maliki spoke in Baghdad.")
