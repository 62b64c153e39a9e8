import json
import os
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire_common.contracts import CleanArticle

SEED = Path(os.environ.get("NEWSWIRE_SEED_ARTICLE", "/work/shared/seed/article.txt"))
BBC = Path(os.environ.get("NEWSWIRE_BBC_CORPUS", "/work/shared/corpora/bbc/bbc.ndjson"))
RECEIVED = datetime(2014, 6, 26, 9, 30, tzinfo=UTC)  # a Thursday


def make_article(body: str, title: str = "Test story", **fields) -> CleanArticle:
    return CleanArticle(article_id=fields.pop("article_id", "a1"), trace_id="t1",
                        received_at=fields.pop("received_at", RECEIVED), cleaned_at=RECEIVED,
                        title=title, body=body, **fields)


@pytest.fixture(scope="session")
def make():
    """Build a CleanArticle received on Thursday 2014-06-26 09:30 UTC."""
    return make_article


@pytest.fixture(scope="session")
def bbc():
    """Look up a BBC corpus article by id."""
    if not BBC.exists():
        pytest.skip(f"BBC corpus not found at {BBC}")
    rows = {}
    for line in BBC.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[row["id"]] = row
    return lambda article_id: rows[article_id]


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_body(seed_text: str) -> str:
    start = seed_text.index("Iraq’s PM Nouri al-Maliki has confirmed")
    end = seed_text.index("brutality and extremism.") + len("brutality and extremism.")
    return seed_text[start:end]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    workdir = tmp_path_factory.mktemp("redis")
    for _attempt in range(3):
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail("could not start redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
