"""Plain functions behind the `newswire clean` / `newswire eval-clean` commands (wired with typer
in the CLI package). Everything here runs offline: no broker, no network."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from newswire_common.contracts import RawArticle, utcnow
from newswire_common.ids import article_id

from .core import clean_article, looks_like_html
from .evaluation import eval_clean, main_eval

__all__ = ["clean_paths", "decode_bytes", "eval_clean", "main_eval", "read_article_file"]

MAX_FILE_BYTES = 50 * 1024 * 1024


def decode_bytes(data: bytes) -> str:
    """Bytes to text: gunzip when compressed, UTF-8 (BOM-aware) when it decodes, else the
    charset the content declares or looks like, else UTF-8 with replacement characters."""
    if data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"decompressed content larger than {MAX_FILE_BYTES} bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    # Mostly UTF-8 with a few bad bytes: keep UTF-8, replace the bad bytes.
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(3, len(text) // 1000):
        return text
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return text


def read_article_file(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"file larger than {MAX_FILE_BYTES} bytes")
    return decode_bytes(path.read_bytes())


def clean_paths(paths: list[Path], url: str | None = None) -> Iterator[dict]:
    """Clean local files (HTML, gzip-compressed HTML or plain text, detected from the content)
    and yield one JSON-able dict per input, in input order: `source_path` plus the fields the
    clean service publishes, or `source_path` and `error` when the file could not be cleaned."""
    for path in paths:
        path = Path(path)
        try:
            content = read_article_file(path)
            if "\x00" in content:
                raise ValueError("contains NUL bytes (binary data is not an article)")
            is_html = looks_like_html(content)
            raw = RawArticle(
                article_id=article_id(url, content), trace_id=uuid.uuid4().hex,
                received_at=utcnow(), url=url,
                html=content if is_html else None, text=None if is_html else content)
            result = clean_article(raw)
            yield {"source_path": str(path), **result.model_dump(mode="json")}
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            yield {"source_path": str(path), "error": f"{type(exc).__name__}: {exc}"}
