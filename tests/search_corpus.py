"""A small known corpus for the search tests: the seed story, an XSS probe, BBC stories with
publisher-given fields (source, section, language, author, tags, dates) and one French story.

Posting is idempotent (ids come from URLs), so every test module may call `load()`; the
stories are posted once per stack and we wait until all are indexed.
"""

import json
import os
from functools import cache
from pathlib import Path

import httpx

from newswire_cli.stack import REPO_ROOT
from support import eventually

SHARED_DIR = Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO_ROOT.parent / "shared"))
SEED_ARTICLE = Path(os.environ.get("NEWSWIRE_SEED_ARTICLE", SHARED_DIR / "seed/article.txt"))
BBC_CORPUS = Path(os.environ.get("NEWSWIRE_BBC_CORPUS",
                                 REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
SEED_URL = "https://example.org/iraq-syria"
SEED_TITLE = "Iraq: Syria carried out air strikes on ISIS militants"
XSS_MARKUP = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
XSS_TITLE = f"Hackers hide {XSS_MARKUP} in comments"
XSS_URL = "https://example.org/xss-probe"
PER_CATEGORY = 6
AUTHORS = ("Jane Reporter", "John Writer")
FRENCH_TITLE = "Le Parlement européen adopte la réforme du climat"


def bbc_stories() -> list[dict]:
    """PER_CATEGORY stories of each BBC category, with deterministic publisher fields."""
    taken: dict[str, int] = {}
    stories = []
    for line in BBC_CORPUS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        category = item["category"]
        n = taken.get(category, 0)
        if n >= PER_CATEGORY:
            continue
        taken[category] = n + 1
        index = len(stories)
        stories.append({
            "title": item["title"], "text": item["text"],
            "url": f"https://www.bbc.co.uk/news/{item['id']}",
            "source": "BBC Sport" if category == "sport" else "BBC News",
            "section": category, "tags": [category, "bbc"], "language": "en",
            "author": AUTHORS[index % 2],
            # Distinct days in 2005, so "newest first" and date ranges have one right answer.
            "published_at": f"2005-{1 + index // 28:02d}-{1 + index % 28:02d}T09:00:00Z",
        })
    return stories


def extra_stories() -> list[dict]:
    return [
        {"title": XSS_TITLE, "url": XSS_URL, "author": "Mallory Probe", "source": "Test Wire",
         "section": "technology", "language": "en", "published_at": "2004-06-01T12:00:00Z",
         "text": f"Security researchers found the markup {XSS_MARKUP} pasted into comment "
                 "fields of a news site. The payload tried to run scripts in readers' browsers."},
        {"title": FRENCH_TITLE, "url": "https://example.org/fr/climat", "author": "Claire Dubois",
         "source": "Le Journal Test", "section": "politics", "language": "fr",
         "published_at": "2005-03-15T08:00:00Z",
         "text": "Le Parlement européen a adopté mardi une réforme ambitieuse du marché du "
                 "carbone, après des mois de négociations entre les États membres."},
    ]


@cache
def load(ingest_url: str, api_key: str) -> dict:
    """Post everything once per stack; returns ids by URL and the posted BBC stories."""
    stories = bbc_stories()
    with httpx.Client(base_url=ingest_url, timeout=60,
                      headers={"Authorization": f"Bearer {api_key}"}) as ingest:
        seed = ingest.post("/v1/articles", json={
            "text": SEED_ARTICLE.read_text(encoding="utf-8"), "url": SEED_URL})
        assert seed.status_code == 202, seed.text
        body = "\n".join(json.dumps(s) for s in [*stories, *extra_stories()])
        batch = ingest.post("/v1/articles/batch", content=body,
                            headers={"Content-Type": "application/x-ndjson"})
        assert batch.status_code == 202, batch.text
        ids = [seed.json()["id"], *(r["id"] for r in batch.json()["results"])]

        def all_indexed() -> bool:
            return all(ingest.get(f"/v1/articles/{i}").json().get("state") == "indexed"
                       for i in ids)

        eventually(all_indexed, timeout=120, interval=0.5)
    urls = [SEED_URL, *(s["url"] for s in stories), *(s["url"] for s in extra_stories())]
    return {"ids": dict(zip(urls, ids, strict=True)), "bbc": stories}
