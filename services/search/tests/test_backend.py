"""The search API when Meilisearch cannot be reached: 503 and not ready, never a 500."""

from fastapi.testclient import TestClient

from newswire_cli.stack import free_port
from newswire_common.settings import Settings
from newswire_search.app import create_app


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
