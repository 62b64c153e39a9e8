"""Production log lines are written in bursts, without losing or reordering any."""

import asyncio
import io
import logging

import orjson
import structlog

from newswire_common.logging import CoalescingWriter, configure_logging, flush_logs, get_logger


class CountingFile(io.BytesIO):
    """A binary file that counts the writes reaching it (each one a system call on a pipe)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data):  # type: ignore[no-untyped-def, override]
        self.writes += 1
        return super().write(data)

    def lines(self) -> list[bytes]:
        return self.getvalue().splitlines()


def test_lines_logged_on_an_event_loop_go_out_together_after_the_hold():
    out = CountingFile()
    writer = CoalescingWriter(out, hold_s=0.05)

    async def burst() -> tuple[int, int]:
        for i in range(64):
            writer.info(b"line %d" % i)
        held = out.writes
        await asyncio.sleep(0.15)
        return held, out.writes

    held, after_hold = asyncio.run(burst())
    assert held == 0
    assert after_hold == 1
    assert out.lines() == [b"line %d" % i for i in range(64)]


def test_a_warning_writes_at_once_after_the_lines_held_before_it():
    out = CountingFile()
    writer = CoalescingWriter(out, hold_s=10)

    async def log() -> None:
        writer.info(b"first")
        writer.info(b"second")
        writer.warning(b"trouble")

    asyncio.run(log())
    assert out.lines() == [b"first", b"second", b"trouble"]
    assert out.writes == 1


def test_lines_outside_an_event_loop_and_a_full_buffer_are_not_held():
    out = CountingFile()
    writer = CoalescingWriter(out, hold_s=10, max_bytes=100)
    writer.info(b"from a plain thread or the CLI")
    assert out.lines() == [b"from a plain thread or the CLI"]

    async def fill() -> None:
        for _ in range(10):
            writer.info(b"x" * 30)

    asyncio.run(fill())
    # 100 bytes in 30-byte lines: every fourth line fills the buffer; the rest wait for flush.
    assert out.writes == 1 + 2
    writer.flush()
    assert len(out.lines()) == 11


def test_json_logging_keeps_library_lines_in_order_with_held_lines(capfd, monkeypatch):
    # configure_logging changes process-wide state; put it back for the tests that follow
    # (their loggers must not write to this test's captured, then closed, stderr).
    import newswire_common.logging as logging_module

    monkeypatch.setattr(logging_module, "_writer", None)
    saved_config = structlog.get_config()
    touched = [logging.getLogger(name) for name in (
        None, "uvicorn", "uvicorn.error", "faststream", "faststream.access.redis", "httpx",
        "httpcore", "uvicorn.access")]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in touched]
    try:
        configure_logging("test-service", fmt="json", level="INFO")

        async def log() -> None:
            get_logger("newswire.test").info("article cleaned", article_id="a1", trace_id="t1")
            logging.getLogger("faststream").info("library line")

        asyncio.run(log())
        flush_logs()
        lines = [orjson.loads(line) for line in capfd.readouterr().err.splitlines()]
        assert [line["event"] for line in lines] == ["article cleaned", "library line"]
        assert lines[0]["article_id"] == "a1" and lines[0]["trace_id"] == "t1"
        assert lines[0]["service"] == "test-service"
    finally:
        structlog.configure(**saved_config)
        for lg, handlers, level, propagate in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
        structlog.contextvars.clear_contextvars()
