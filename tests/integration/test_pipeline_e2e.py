"""The seed article travels ingest -> clean -> enrich -> index and becomes searchable."""

import pytest

from support import eventually

pytestmark = pytest.mark.integration

SEED_URL = "https://example.org/iraq-syria"
TITLE = "Iraq: Syria carried out air strikes on ISIS militants"
BOILERPLATE = ["oKFopenGucc", "Recent Posts", "Quincy Jones", "Kamala Harris", "2 weeks ago",
               "Roy likes politics", "horse – riding", "Donald Trump"]


def story_hits(search, query: str) -> list[dict]:
    return search.get("/v1/search", params={"q": query}).json()["stories"]["hits"]


@pytest.fixture(scope="module")
def seed_story(ingest, search, seed_text) -> dict:
    response = ingest.post("/v1/articles", json={"text": seed_text, "url": SEED_URL})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status_url"].endswith(f"/v1/articles/{accepted['id']}")
    # "indexed" is recorded once the story and its author documents are both in Meilisearch.
    eventually(lambda: ingest.get(accepted["status_url"]).json().get("state") == "indexed")
    assert any(h["id"] == accepted["id"] for h in story_hits(search, "Maliki"))
    return search.get(f"/v1/stories/{accepted['id']}").json()


def test_seed_story_is_found_by_its_words(seed_story, search):
    for query in ("Maliki", "Qaim", "Roy Siemens"):
        assert seed_story["id"] in [h["id"] for h in story_hits(search, query)], query


def test_author_is_found_with_bio_outside_the_body(seed_story, search):
    result = search.get("/v1/search", params={"q": "Roy Siemens"}).json()
    authors = {a["name"]: a for a in result["authors"]["hits"]}
    assert "Roy Siemens" in authors
    assert authors["Roy Siemens"]["bio"].startswith("Roy likes politics.")
    assert authors["Roy Siemens"]["article_count"] >= 1
    assert "Roy likes politics" not in seed_story["body"]


def test_stored_story_is_clean(seed_story):
    assert seed_story["title"] == TITLE
    assert seed_story["authors"] == ["Roy Siemens"]
    body = seed_story["body"]
    assert body.startswith("Iraq’s PM Nouri al-Maliki has confirmed")
    assert body.rstrip().endswith("its brutality and extremism.")
    assert "Nouri al-Maliki will seek to form a new government" in body
    for junk in BOILERPLATE:
        assert junk not in body, junk


def test_posting_again_keeps_one_document(seed_story, ingest, search, meili, seed_text):
    again = ingest.post("/v1/articles", json={"text": seed_text, "url": SEED_URL + "/"})
    assert again.status_code == 202
    assert again.json()["id"] == seed_story["id"]  # trailing slash: same canonical URL
    # Wait until the second copy went through the whole pipeline, then count.
    eventually(lambda: ingest.get(again.json()["status_url"]).json().get("trace_id")
               == again.json()["trace_id"]
               and ingest.get(again.json()["status_url"]).json().get("state") == "indexed")
    hits = meili.post("/indexes/articles/search", json={"q": "Maliki Qaim", "limit": 100}).json()
    assert [h["id"] for h in hits["hits"] if h["title"] == TITLE] == [seed_story["id"]]
    author = meili.get("/indexes/authors/documents/roy-siemens").json()
    assert author["article_count"] == 1


def test_entity_facets_filter_search(seed_story, search):
    """The seed story's entities are facets: filtering on them finds it, others exclude it."""
    entities = seed_story["entities"]
    assert "Nouri al-Maliki" in entities["person"]
    assert {"Iraq", "Syria", "Iran", "Mosul", "Baghdad", "Qaim", "Albu Kamal"} <= set(
        entities["place"])
    assert {"ISIS", "Nusra Front"} <= set(entities["organization"])
    assert not {"Donald Trump", "Elon Musk", "Quincy Jones"} & set(entities["person"])

    def ids(**filters) -> list[str]:
        result = search.get("/v1/search", params={"q": "", **filters}).json()
        return [h["id"] for h in result["stories"]["hits"]]

    assert seed_story["id"] in ids(place="Mosul")
    assert seed_story["id"] in ids(organization="Nusra Front", person="Nouri al-Maliki")
    assert seed_story["id"] not in ids(place="Cardiff")


def test_secrets_never_reach_the_logs(seed_story, stack):
    log = (stack.cfg.var_dir / "stack.log").read_text(errors="replace")
    assert stack.api_key and stack.api_key not in log
    assert stack.cfg.master_key() not in log
