"""Message contracts between the stages. Every message carries `schema_version`.

    ArticleSubmission  what a publisher POSTs (HTTP body)
    RawArticle         ingest -> articles.raw    -> clean
    CleanArticle       clean  -> articles.clean  -> enrich
    EnrichedArticle    enrich -> articles.enriched -> index
    ArticleDeletion    ingest -> articles.enriched -> index (removes a story)
    DeadLetter         any stage -> articles.dead

Bump SCHEMA_VERSION when a change is not backwards compatible; consumers reject versions they
do not know (they go to the dead-letter stream with that reason).
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

SchemaVersion = Annotated[int, Field(ge=1, le=SCHEMA_VERSION, description="Message schema version")]

MAX_FIELD_CHARS = 2_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ArticleSubmission(_Model):
    """The JSON body of `POST /v1/articles`: exactly one of `html` or `text` is required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: Annotated[str | None, Field(max_length=MAX_FIELD_CHARS)] = None
    title: Annotated[str | None, Field(max_length=MAX_FIELD_CHARS)] = None
    author: str | list[str] | None = None
    published_at: Annotated[str | None, Field(max_length=200)] = None
    source: Annotated[str | None, Field(max_length=200)] = None
    section: Annotated[str | None, Field(max_length=200)] = None
    tags: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=100)] = []
    language: Annotated[str | None, Field(max_length=20)] = None
    html: str | None = None
    text: str | None = None

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return value or None

    @field_validator("author")
    @classmethod
    def _author_names(cls, value: str | list[str] | None) -> str | list[str] | None:
        names = [value] if isinstance(value, str) else (value or [])
        if len(names) > 50 or any(len(n) > 200 for n in names):
            raise ValueError("at most 50 authors of at most 200 characters each")
        return value

    @model_validator(mode="after")
    def _exactly_one_body(self) -> "ArticleSubmission":
        given = [name for name in ("html", "text") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("exactly one of 'html' or 'text' is required")
        content = self.html if self.html is not None else self.text
        if not content or not content.strip():
            raise ValueError(f"'{given[0]}' must not be empty or whitespace only")
        if "\x00" in content:
            raise ValueError(f"'{given[0]}' contains NUL bytes (binary data is not an article)")
        return self

    @property
    def authors(self) -> list[str]:
        names = [self.author] if isinstance(self.author, str) else (self.author or [])
        return [n.strip() for n in names if n and n.strip()]

    @property
    def content(self) -> str:
        return self.html if self.html is not None else (self.text or "")


class Author(_Model):
    name: str
    bio: str | None = None


class Entity(_Model):
    name: str
    type: Literal["person", "organization", "place"]
    count: int = 1


class RawArticle(_Model):
    schema_version: SchemaVersion = SCHEMA_VERSION
    article_id: str
    trace_id: str
    received_at: datetime
    publisher: str | None = None

    url: str | None = None
    title: str | None = None
    authors: list[str] = []
    published_at: str | None = None
    source: str | None = None
    section: str | None = None
    tags: list[str] = []
    language: str | None = None
    html: str | None = None
    text: str | None = None


class CleanArticle(_Model):
    schema_version: SchemaVersion = SCHEMA_VERSION
    article_id: str
    trace_id: str
    received_at: datetime
    cleaned_at: datetime
    publisher: str | None = None

    url: str | None = None
    canonical_url: str | None = None
    title: str
    body: str
    authors: list[Author] = []
    #: Parsed publication time when the page or publisher states one.
    published_at: datetime | None = None
    #: The date as found (publisher value or page text), kept for later resolution.
    published_at_raw: str | None = None
    source: str | None = None
    site_name: str | None = None
    section: str | None = None
    tags: list[str] = []
    language: str | None = None
    lead_image_url: str | None = None
    content_type: Literal["html", "text"] = "text"


class EnrichedArticle(CleanArticle):
    enriched_at: datetime
    entities: list[Entity] = []
    keywords: list[str] = []
    summary: str = ""
    word_count: int = 0
    reading_time_minutes: int = 0
    near_duplicate_of: str | None = None
    slug: str | None = None


class ArticleDeletion(_Model):
    """A request to remove a story from search; travels on the index stage's input stream."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    action: Literal["delete"] = "delete"
    article_id: str
    trace_id: str
    requested_at: datetime
    publisher: str | None = None


class DeadLetter(_Model):
    schema_version: SchemaVersion = SCHEMA_VERSION
    stage: str
    stream: str
    message_id: str | None = None
    article_id: str | None = None
    trace_id: str | None = None
    error: str
    error_type: str
    attempts: int
    failed_at: datetime = Field(default_factory=utcnow)
    #: The original message body as it was read from the stage's input stream.
    payload: Any = None
    headers: dict[str, Any] = {}
