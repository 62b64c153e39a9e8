"""structlog set up once per process: JSON lines in production, readable console otherwise.

Article work binds `article_id` and `trace_id` with `bind_article_context` so every line
logged while a message is handled carries them.

Our own lines take structlog's fast path (a level-filtering bound logger rendering straight to
stderr, JSON through orjson): a line per article per stage is on the hot path, and routing it
through the standard library's logging machinery cost about as much CPU as cleaning a short
article. Lines from libraries (uvicorn, FastStream, httpx) still come through the standard
library and are rendered by the same processors.
"""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import structlog

_configured = False


def _add_logger_name(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Name the emitting logger: `logger_name` of a structlog logger (bound by `get_logger`), or
    the stdlib record's name for library lines."""
    record = event_dict.get("_record")
    name = event_dict.pop("logger_name", None) or (record.name if record is not None else None)
    if name:
        event_dict["logger"] = name
    return event_dict


def configure_logging(service: str, fmt: str = "console", level: str = "INFO") -> None:
    global _configured
    level_no = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
        structlog.configure(
            processors=[*shared, structlog.processors.JSONRenderer(serializer=orjson.dumps)],
            wrapper_class=structlog.make_filtering_bound_logger(level_no),
            logger_factory=structlog.BytesLoggerFactory(sys.stderr.buffer),
            cache_logger_on_first_use=True,
        )
        foreign_renderer: structlog.typing.Processor = structlog.processors.JSONRenderer()
    else:
        console = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        structlog.configure(
            processors=[*shared, console],
            wrapper_class=structlog.make_filtering_bound_logger(level_no),
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
            cache_logger_on_first_use=True,
        )
        foreign_renderer = console

    # Route the standard library's records (uvicorn, faststream, httpx) through the same
    # processors and renderer.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, foreign_renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_no)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    route_library_loggers()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    _configured = True


def route_library_loggers() -> None:
    """Send uvicorn's and FastStream's lines through the root handler (our format).

    FastStream gives its "faststream" logger a handler of its own, in its own format, when it
    is first imported; a service that imports it after `configure_logging` calls this again."""
    for name in ("uvicorn", "uvicorn.error", "faststream", "faststream.access.redis"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (filtering bound logger once configured) that names itself."""
    return structlog.get_logger(logger_name=name) if name else structlog.get_logger()


@contextmanager
def bind_article_context(article_id: str | None, trace_id: str | None, **extra: object) -> Iterator[None]:
    """Bind article_id/trace_id (and e.g. stage) for the lines logged inside the block."""
    values = {"article_id": article_id, "trace_id": trace_id, **extra}
    with structlog.contextvars.bound_contextvars(**{k: v for k, v in values.items() if v is not None}):
        yield
