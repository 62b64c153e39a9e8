"""Every service module imports and builds its app: catches wiring mistakes without servers."""

import importlib

import pytest


@pytest.mark.parametrize("module", ["newswire_clean.worker", "newswire_enrich.worker",
                                    "newswire_index.worker"])
def test_stream_workers_build(module):
    app = importlib.import_module(module).app
    paths = [path for path, _ in app.routes]
    assert {"/healthz", "/readyz", "/metrics"} <= set(paths)


def test_ingest_app_documents_its_api():
    from newswire_ingest.app import create_app

    schema = create_app().fastapi.openapi()
    assert {"/v1/articles", "/v1/articles/batch", "/v1/articles/{article_id}"} <= set(
        schema["paths"])
    assert "delete" in schema["paths"]["/v1/articles/{article_id}"]


def test_search_app_builds():
    from newswire_search.app import create_app

    paths = {route.path for route in create_app().routes}
    assert {"/v1/search", "/v1/stories/{story_id}", "/healthz", "/readyz", "/metrics"} <= paths


def test_docs_describe_every_stream_and_http_api(tmp_path):
    import json

    from newswire_cli.docs import write_docs

    written = {p.name: json.loads(p.read_text()) for p in write_docs(tmp_path)}
    addresses = {channel["address"] for name, doc in written.items() if name.startswith("asyncapi")
                 for channel in doc["channels"].values()}
    assert {"articles.raw", "articles.clean", "articles.enriched", "articles.dead"} <= addresses
    assert "RawArticle" in written["asyncapi-clean.json"]["components"]["schemas"]
    assert "/v1/search" in written["openapi-search.json"]["paths"]


def test_index_back_fill_commits_are_sized_apart_from_reads(monkeypatch):
    """A back-fill's Meilisearch tasks gather `index_commit_docs` stories (CPU per story falls
    with the batch), while a read stays `index_batch_size` entries (memory per handler)."""
    import sys

    from newswire_common import settings as settings_module

    monkeypatch.setenv("NEWSWIRE_INDEX_BATCH_SIZE", "123")
    monkeypatch.setenv("NEWSWIRE_INDEX_COMMIT_DOCS", "4567")
    monkeypatch.setenv("NEWSWIRE_INDEX_HOLD_MAX_MS", "2500")
    settings_module.get_settings.cache_clear()
    monkeypatch.delitem(sys.modules, "newswire_index.worker", raising=False)
    try:
        worker = importlib.import_module("newswire_index.worker")
        assert worker.stories_commit._target_docs == 4567
        assert worker.stories_commit._max_hold_s == 2.5
        assert worker.settings.index_batch_size == 123
    finally:
        settings_module.get_settings.cache_clear()
        sys.modules.pop("newswire_index.worker", None)
