"""structlog set up once per process: JSON lines in production, readable console otherwise.

Article work binds `article_id` and `trace_id` with `bind_article_context` so every line
logged while a message is handled carries them. The one summary line per article per stage,
logged in a loop over a batch, passes them as fields instead: binding for a single line cost
~15 of its ~27 us.

Our own lines take structlog's fast path (a level-filtering bound logger rendering straight to
stderr, JSON through orjson): a line per article per stage is on the hot path, and routing it
through the standard library's logging machinery cost about as much CPU as cleaning a short
article. Lines from libraries (uvicorn, FastStream, httpx) still come through the standard
library and are rendered by the same processors.

In production (JSON) the lines are also written in bursts: `CoalescingWriter` holds INFO and
DEBUG lines logged on an event loop for up to 0.1 s and writes them with one system call, so a
batch of 64 articles costs one write, not 64 (and supervisord relays one chunk, not 64).
"""

import asyncio
import atexit
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, TextIO

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


class CoalescingWriter:
    """A structlog logger writing rendered lines (bytes) to a binary file in bursts.

    INFO and DEBUG lines logged from a running event loop wait up to `hold_s` (or until
    `max_bytes` are waiting) and go out together. A WARNING or worse, a line logged outside an
    event loop (a worker thread, the CLI) and `flush()` write at once, after whatever waits, so
    the order of lines is kept. What waits is lost only if the process is killed outright;
    a normal exit flushes it (`flush_logs`, registered with atexit)."""

    def __init__(self, file: BinaryIO, *, hold_s: float = 0.1, max_bytes: int = 256 * 1024) -> None:
        self._file = file
        self._hold_s = hold_s
        self._max_bytes = max_bytes
        self._lines: list[bytes] = []
        self._size = 0
        self._flush_scheduled = False
        self._lock = threading.Lock()

    def hold(self, line: bytes) -> None:
        with self._lock:
            self._lines.append(line)
            self._size += len(line) + 1
            full = self._size >= self._max_bytes
            if not full and self._flush_scheduled:
                return
        if not full:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
            else:
                self._flush_scheduled = True
                loop.call_later(self._hold_s, self.flush)
                return
        self.flush()

    def write_now(self, line: bytes) -> None:
        with self._lock:
            self._lines.append(line)
        self.flush()

    def flush(self) -> None:
        with self._lock:
            self._flush_scheduled = False
            if not self._lines:
                return
            data = b"\n".join(self._lines) + b"\n"
            self._lines.clear()
            self._size = 0
            try:
                self._file.write(data)
                self._file.flush()
            except (OSError, ValueError):  # closed or broken pipe at exit: nothing to do
                pass

    # The names structlog's filtering bound logger calls, one per level.
    debug = info = msg = log = hold
    warn = warning = error = err = exception = critical = fatal = failure = write_now


class _OrderedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Library lines (standard logging) go out after our waiting lines, keeping the order."""

    def __init__(self, stream: TextIO, writer: CoalescingWriter | None) -> None:
        super().__init__(stream)
        self._writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        if self._writer is not None:
            self._writer.flush()
        super().emit(record)


_writer: CoalescingWriter | None = None


def flush_logs() -> None:
    """Write the lines still held back (tests, reconfiguration and a normal exit)."""
    if _writer is not None:
        _writer.flush()


atexit.register(flush_logs)


def configure_logging(service: str, fmt: str = "console", level: str = "INFO") -> None:
    global _configured, _writer
    level_no = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    flush_logs()
    _writer = None
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
        writer = _writer = CoalescingWriter(sys.stderr.buffer)
        structlog.configure(
            processors=[*shared, structlog.processors.JSONRenderer(serializer=orjson.dumps)],
            wrapper_class=structlog.make_filtering_bound_logger(level_no),
            logger_factory=lambda *_args: writer,
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
    handler = _OrderedStreamHandler(sys.stderr, _writer)
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
