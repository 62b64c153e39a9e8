"""Redis stream and consumer-group names, defined once for every service."""

from enum import StrEnum


class Stream(StrEnum):
    RAW = "articles.raw"
    CLEAN = "articles.clean"
    ENRICHED = "articles.enriched"
    DEAD = "articles.dead"


class Group(StrEnum):
    """One consumer group per stage; the group reads the stream that feeds the stage."""

    CLEAN = "clean"
    ENRICH = "enrich"
    INDEX = "index"


#: stage name -> (stream it reads, its consumer group, stream it writes or None)
STAGES: dict[str, tuple[Stream, Group, Stream | None]] = {
    "clean": (Stream.RAW, Group.CLEAN, Stream.CLEAN),
    "enrich": (Stream.CLEAN, Group.ENRICH, Stream.ENRICHED),
    "index": (Stream.ENRICHED, Group.INDEX, None),
}

ARTICLES_INDEX = "articles"
AUTHORS_INDEX = "authors"
