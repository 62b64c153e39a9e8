"""The Meilisearch client and the API when Meilisearch cannot be reached: 503 and not ready,
never a 500; a real Meilisearch (restarted mid-test) and scripted HTTP servers for the rest."""

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from newswire_cli.stack import free_port, meili_binary
from newswire_common.settings import Settings
from newswire_index.meili import MeiliError
from newswire_search.app import create_app
from newswire_search.backend import BackendUnreachable, SearchBackend


def test_unreachable_meilisearch_is_503_and_not_ready():
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    with TestClient(create_app(Settings(meili_url=nothing_listens))) as client:
        search = client.get("/v1/search", params={"q": "economy"})
        assert search.status_code == 503
        assert search.json() == {"detail": "search backend unavailable"}
        assert client.get("/readyz").status_code == 503
        assert client.get("/v1/authors/roy-siemens").status_code == 503


def test_story_ids_meilisearch_cannot_hold_are_404_without_asking_it():
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    with TestClient(create_app(Settings(meili_url=nothing_listens))) as client:
        assert client.get("/v1/stories/..").status_code == 404
        assert client.get("/v1/stories/a.b").status_code == 404


# --- the client itself ---

MASTER_KEY = "backend-test-key-0123456789"


class Meilisearch:
    """A real Meilisearch on a fixed port that a test can restart."""

    def __init__(self, data: Path) -> None:
        self.port, self.data = free_port(), data
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(meili_binary()), "--db-path", str(self.data), "--http-addr",
             f"127.0.0.1:{self.port}", "--no-analytics", "--master-key", MASTER_KEY],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("meilisearch did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)


@pytest.fixture
def meilisearch(tmp_path: Path) -> Iterator[Meilisearch]:
    server = Meilisearch(tmp_path / "meili")
    server.start()
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    task = httpx.post(f"{server.url}/indexes/articles/documents", headers=headers,
                      json=[{"id": "a1", "title": "Economy grows"}]).json()
    while httpx.get(f"{server.url}/tasks/{task['taskUid']}", headers=headers
                    ).json()["status"] not in ("succeeded", "failed"):
        time.sleep(0.05)
    yield server
    server.stop()


async def test_search_documents_errors_and_a_restarted_meilisearch(meilisearch):
    backend = SearchBackend(meilisearch.url, MASTER_KEY)
    try:
        [result] = await backend.multi_search([{"indexUid": "articles", "q": "econ"}])
        assert [hit["id"] for hit in result["hits"]] == ["a1"]
        assert (await backend.get_document("articles", "a1"))["title"] == "Economy grows"
        assert await backend.get_document("articles", "nope") is None
        with pytest.raises(MeiliError) as error:
            await backend.multi_search([{"indexUid": "missing", "q": "x"}])
        assert error.value.code == "index_not_found"
        assert len(backend._idle) == 1  # one keep-alive connection served all of that
        # Meilisearch restarts: the pooled connection is dead; the next search still answers.
        meilisearch.stop()
        meilisearch.start()
        [result] = await backend.multi_search([{"indexUid": "articles", "q": "economy"}])
        assert result["hits"][0]["id"] == "a1"
        assert await backend.healthy()
    finally:
        await backend.aclose()
    wrong_key = SearchBackend(meilisearch.url, "not-the-key")
    with pytest.raises(MeiliError) as error:
        await wrong_key.multi_search([{"indexUid": "articles", "q": "x"}])
    assert error.value.status == 403
    await wrong_key.aclose()


async def scripted_server(answers: list[bytes]) -> tuple[asyncio.Server, list[bytes]]:
    """Answers each request (whatever it is) with the next of `answers`, as raw bytes;
    b"" means: close the connection without answering; b"hang": never answer."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            requests.append(head + await reader.readexactly(length))
            answer = answers.pop(0)
            if answer == b"hang":
                await asyncio.sleep(30)
            if not answer:
                break
            writer.write(answer)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), requests


async def test_chunked_answers_connection_close_and_a_path_prefix():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"6\r\n{\"resu\r\n10\r\nlts\": [{\"a\": 1}]\r\n1\r\n}\r\n0\r\n\r\n")
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 15\r\n\r\n{\"results\": []}"
    server, requests = await scripted_server([chunked, closing])
    port = server.sockets[0].getsockname()[1]
    backend = SearchBackend(f"http://127.0.0.1:{port}/meili/", "k")
    try:
        assert await backend.multi_search([{"q": "x"}]) == [{"a": 1}]
        assert len(backend._idle) == 1
        assert await backend.multi_search([{"q": "y"}]) == []
        assert backend._idle == []  # the server said Connection: close
    finally:
        await backend.aclose()
        server.close()
    assert requests[0].startswith(b"POST /meili/multi-search HTTP/1.1\r\n")
    assert b"Authorization: Bearer k\r\n" in requests[0]
    assert requests[0].endswith(b'{"queries":[{"q":"x"}]}')


async def test_a_silent_or_vanishing_server_is_unreachable_in_bounded_time():
    server, _ = await scripted_server([b"hang"])
    backend = SearchBackend(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}",
                            timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendUnreachable):
        await backend.multi_search([{"q": "x"}])
    assert time.monotonic() - started < 5
    server.close()
    # Closed before answering on a fresh connection: not retried, reported unreachable.
    server, requests = await scripted_server([b""])
    backend = SearchBackend(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    with pytest.raises(BackendUnreachable):
        await backend.multi_search([{"q": "x"}])
    assert len(requests) == 1
    server.close()