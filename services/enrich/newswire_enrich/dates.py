"""Resolve a publication date given only as text ("5 days ago", "Tuesday", "24 June 2014")
against the time the article was received, with dateparser."""

import re
from datetime import UTC, datetime

_HAS_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def resolve_published_at(raw: str | None, received_at: datetime,
                         parsed: datetime | None = None) -> datetime | None:
    """The publication time for `raw`, relative to `received_at`.

    An already parsed value is kept when the raw text states an absolute date (a year or an
    ISO timestamp); relative and weekday-only values are re-resolved against `received_at`,
    because a generic parser resolves them against the wall clock instead.
    """
    if parsed is not None and (not raw or _HAS_YEAR.search(raw) or _ISO.match(raw.strip())):
        return _aware(parsed)
    if not raw or not raw.strip():
        return _aware(parsed) if parsed else None
    import dateparser

    base = _aware(received_at).astimezone(UTC).replace(tzinfo=None)
    text = re.sub(r"^(published|updated|posted)( on)?:?\s*", "", raw.strip(), flags=re.IGNORECASE)
    found = dateparser.parse(text, languages=["en"], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC"})
    if found is None:
        found = dateparser.parse(text, settings={
            "RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC"})
    if found is None:
        return _aware(parsed) if parsed else None
    return _aware(found)
