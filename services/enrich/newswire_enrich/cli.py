"""Offline enrichment of NDJSON for `newswire enrich [FILE…|-] [--from-raw]`.

Each input line is a CleanArticle, or with `from_raw` an article exactly as posted to
`POST /v1/articles` (ArticleSubmission), which is given its id and cleaned first. One
EnrichedArticle JSON line is yielded per input line, in order. Offline there is no Redis, so
`near_duplicate_of` stays null. Blank lines are skipped.
"""

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime

from newswire_common.contracts import ArticleSubmission, CleanArticle, RawArticle, utcnow
from newswire_common.ids import article_id

from .core import enrich_article, warm_up
from .evaluation import eval_entities, print_eval_entities

__all__ = ["enrich_lines", "eval_entities", "print_eval_entities", "raw_from_submission"]


class InputLineError(ValueError):
    def __init__(self, line_no: int, error: Exception) -> None:
        super().__init__(f"line {line_no}: {error}")
        self.line_no = line_no


def raw_from_submission(submission: ArticleSubmission, received_at: datetime) -> RawArticle:
    return RawArticle(
        article_id=article_id(submission.url, submission.content), trace_id=uuid.uuid4().hex,
        received_at=received_at, url=submission.url, title=submission.title,
        authors=submission.authors, published_at=submission.published_at,
        source=submission.source, section=submission.section, tags=submission.tags,
        language=submission.language, html=submission.html, text=submission.text,
    )


def enrich_lines(lines: Iterable[str], from_raw: bool = False, *,
                 now: datetime | None = None) -> Iterator[str]:
    """Yield one EnrichedArticle JSON per non-blank NDJSON input line, in input order.

    Raises InputLineError (a ValueError naming the line number) for a line that is not a
    valid article.
    """
    from newswire_clean.core import clean_article

    warm_up()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            if from_raw:
                received = now or utcnow()
                raw = raw_from_submission(ArticleSubmission.model_validate_json(line), received)
                article = clean_article(raw, now=received)
            else:
                article = CleanArticle.model_validate_json(line)
        except ValueError as exc:
            raise InputLineError(line_no, exc) from exc
        yield enrich_article(article, now=now).model_dump_json()
