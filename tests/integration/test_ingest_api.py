"""The ingest API against the real stack: validation, limits, auth, batches, deletes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support import eventually

pytestmark = pytest.mark.integration

ARTICLE = {"text": "A council in Leeds approved a new tram line on Monday after a long debate "
                   "about costs and routes across the city centre.", "title": "Leeds tram"}


def newswire(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **stack.cfg.service_env()}
    return subprocess.run([str(Path(sys.executable).with_name("newswire")), *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("body", "loc", "reason"), [
    ({"title": "no body"}, ("body",), "exactly one of 'html' or 'text'"),
    ({"text": "x", "html": "<p>x</p>"}, ("body",), "exactly one of 'html' or 'text'"),
    ({"text": "   \n\t "}, ("body",), "must not be empty"),
    ({"text": "ok text", "url": "ftp://example.org/a"}, ("body", "url"), "http(s) URL"),
    ({"text": "ok text", "tags": "not-a-list"}, ("body", "tags"), "list"),
    ({"text": "ok text", "surprise": 1}, ("body", "surprise"), "Extra inputs"),
    ({"text": "bin\u0000ary"}, ("body",), "NUL"),
])
def test_invalid_articles_get_422_naming_field_and_reason(ingest, body, loc, reason):
    response = ingest.post("/v1/articles", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(tuple(e["loc"][:len(loc)]) == loc and reason in e["msg"] for e in errors), errors


def test_broken_json_and_invalid_utf8_are_client_errors(ingest):
    headers = {"content-type": "application/json"}
    for raw in (b'{"text": "unterminated', b'{"text": "\xff\xfe bad bytes"}', b"\x00\x01\x02"):
        response = ingest.post("/v1/articles", content=raw, headers=headers)
        assert 400 <= response.status_code < 500, (raw, response.status_code, response.text)
        assert response.json()["detail"]


def test_wrong_content_type_is_415(ingest):
    response = ingest.post("/v1/articles", content=ARTICLE["text"],
                           headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["detail"][0]["loc"] == ["header", "content-type"]


def test_oversized_body_is_413_with_and_without_content_length(ingest, stack):
    big = {"text": "word " * (1_100_000)}  # > 5 MB as JSON
    assert ingest.post("/v1/articles", json=big).status_code == 413

    def chunks():
        yield b'{"text": "'
        for _ in range(60):
            yield b"x" * 100_000
        yield b'"}'

    response = ingest.post("/v1/articles", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_publishing_needs_a_valid_unrevoked_key(stack):
    with httpx.Client(base_url=stack.cfg.ingest_url) as anonymous:
        assert anonymous.post("/v1/articles", json=ARTICLE).status_code == 401
        wrong = {"Authorization": "Bearer nw_abc_notakey"}
        assert anonymous.post("/v1/articles", json=ARTICLE, headers=wrong).status_code == 401
        assert anonymous.get("/healthz").status_code == 200  # health stays open

        created = newswire(stack, "keys", "create", "acme-news")
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        accepted = anonymous.post("/v1/articles", json=ARTICLE, headers=auth)
        assert accepted.status_code == 202

        listed = newswire(stack, "keys", "list")
        assert "acme-news" in listed.stdout and token.split("_")[2] not in listed.stdout

        assert newswire(stack, "keys", "revoke", "acme-news").returncode == 0
        refused = anonymous.post("/v1/articles", json=ARTICLE, headers=auth)
        assert refused.status_code == 403
        assert token not in refused.text


def test_publisher_name_is_recorded_and_id_is_deterministic(ingest, search):
    body = {"text": "Deterministic ids: the same content posted twice without a URL is one "
                    "article, whatever the time of posting or the client."}
    first = ingest.post("/v1/articles", json=body).json()
    second = ingest.post("/v1/articles", json=body).json()
    assert first["id"] == second["id"]
    eventually(lambda: ingest.get(first["status_url"]).json().get("state") == "indexed")
    story = search.get(f"/v1/stories/{first['id']}").json()
    assert story["publisher"] == "dev-publisher"


def test_trace_id_is_taken_from_traceparent_or_request_id(ingest):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = ingest.post("/v1/articles", json=ARTICLE,
                           headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert response.json()["trace_id"] == trace
    response = ingest.post("/v1/articles", json=ARTICLE, headers={"X-Request-ID": "req-42"})
    assert response.json()["trace_id"] == "req-42"


def test_batch_gives_per_item_results(ingest):
    items = [ARTICLE, {"title": "missing body"}, {**ARTICLE, "url": "https://example.org/b"}]
    response = ingest.post("/v1/articles/batch", json=items)
    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202, 422, 202]
    assert "exactly one of 'html' or 'text'" in results[1]["detail"][0]["msg"]

    ndjson = "\n".join(json.dumps(item) for item in (ARTICLE, ARTICLE))
    response = ingest.post("/v1/articles/batch", content=ndjson,
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 202 and response.json()["accepted"] == 2
    assert ingest.post("/v1/articles/batch", content=b"[{oops",
                       headers={"content-type": "application/json"}).status_code == 400


def test_delete_removes_story_and_updates_author_count(ingest, search):
    def post(url: str) -> dict:
        body = {"text": f"Mary Quant opened a new studio in Chelsea, reported at {url}. The "
                        "designer spoke about the future of fashion in London.",
                "url": url, "author": "Mary Quant Reporter"}
        accepted = ingest.post("/v1/articles", json=body).json()
        eventually(lambda: ingest.get(accepted["status_url"]).json().get("state") == "indexed")
        return accepted

    first, second = post("https://example.org/quant-1"), post("https://example.org/quant-2")

    def author():
        hits = search.get("/v1/search", params={"q": "Mary Quant Reporter"}).json()
        return next((a for a in hits["authors"]["hits"] if a["name"] == "Mary Quant Reporter"),
                    None)

    assert eventually(lambda: (author() or {}).get("article_count") == 2)
    assert ingest.delete(f"/v1/articles/{first['id']}").status_code == 202
    eventually(lambda: ingest.get(first["status_url"]).json().get("state") == "deleted")
    assert search.get(f"/v1/stories/{first['id']}").status_code == 404
    assert author()["article_count"] == 1
    assert ingest.delete("/v1/articles/does-not-exist").status_code == 404
    assert search.get(f"/v1/stories/{second['id']}").status_code == 200
