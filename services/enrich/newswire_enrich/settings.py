"""Enrich-stage settings, read from the environment with the prefix NEWSWIRE_ENRICH_.

    NEWSWIRE_ENRICH_ENTITY_PIPELINE      "rules" (default, gazetteers + capitalisation rules) or
                                         "spacy" (a statistical spaCy model installed as a package)
    NEWSWIRE_ENRICH_SPACY_MODEL          package name for the "spacy" pipeline
    NEWSWIRE_ENRICH_CITY_MIN_POPULATION  cities below this population are not in the gazetteer
    NEWSWIRE_ENRICH_GAZETTEERS           extra JSONL gazetteers: {"name", "type", "aliases"?}
    NEWSWIRE_ENRICH_ENTITY_LANGUAGES     languages the entity rules run on (capitalisation-based)
    NEWSWIRE_ENRICH_LANGUAGES            languages lingua chooses from (fewer = less memory)
"""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_LANGUAGES = ("en,de,fr,es,it,pt,nl,sv,da,nb,fi,pl,cs,ro,hu,el,tr,ru,uk,ar,fa,he,hi,"
                     "zh,ja,ko,id,vi")


class EnrichSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_ENRICH_", extra="ignore")

    entity_pipeline: Literal["rules", "spacy"] = "rules"
    spacy_model: str = "en_core_web_sm"
    city_min_population: int = 50_000
    gazetteers: Annotated[list[str], NoDecode] = []
    entity_languages: Annotated[list[str], NoDecode] = ["en"]
    languages: Annotated[list[str], NoDecode] = DEFAULT_LANGUAGES.split(",")
    #: 5..10 keywords per article
    keywords_top: int = 8
    summary_sentences: int = 2
    #: near-duplicate detection (Redis MinHash LSH)
    dedup_threshold: float = 0.8
    dedup_num_perm: int = 128
    dedup_key_prefix: str = "newswire:dedup"

    @field_validator("gazetteers", "entity_languages", "languages", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


@lru_cache
def get_enrich_settings() -> EnrichSettings:
    return EnrichSettings()
