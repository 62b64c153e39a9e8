"""Search API on the running stack: filters, facets, sort, pagination, author pages,
synonyms, typos, prefixes, validation and filter-injection safety."""

import pytest

import search_corpus
from search_corpus import AUTHORS, PER_CATEGORY, SEED_TITLE, XSS_MARKUP, XSS_TITLE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def corpus(stack) -> dict:
    return search_corpus.load(stack.cfg.ingest_url, stack.api_key)


def run(search, **params) -> dict:
    response = search.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def titles(result: dict) -> list[str]:
    return [h["title"] for h in result["stories"]["hits"]]


def test_response_shape_keeps_contract(corpus, search):
    result = run(search, q="Maliki")
    story = result["stories"]["hits"][0]
    assert story["title"] == SEED_TITLE
    for name in ("id", "title", "authors", "url", "published_at", "source", "summary", "snippet"):
        assert name in story, name
    assert story["authors"] == ["Roy Siemens"]
    assert any(piece["match"] for piece in story["highlight"]["snippet"])
    assert isinstance(result["stories"]["total"], int)
    assert "facets" not in result["stories"]  # counted only when asked for
    counted = run(search, q="Maliki", facets="true")
    assert set(counted["stories"]["facets"]) >= {"author", "source", "section", "language",
                                                "person", "organization", "place", "keyword"}
    assert counted["stories"]["hits"] == result["stories"]["hits"]


def test_author_hits_have_profile_and_latest_titles(corpus, search):
    authors = {a["name"]: a for a in run(search, q="Roy Siemens")["authors"]["hits"]}
    roy = authors["Roy Siemens"]
    assert roy["id"] == "roy-siemens" and roy["article_count"] == 1
    assert roy["bio"].startswith("Roy likes politics.")
    assert roy["latest_story_titles"] == [SEED_TITLE]


@pytest.mark.parametrize("query", ["ISIL", "Daesh", "Islamic State"])
def test_synonyms_find_the_isis_story(corpus, search, query):
    assert SEED_TITLE in titles(run(search, q=query))


def test_typo_tolerance(corpus, search):
    assert titles(run(search, q="Malikki"))[0] == SEED_TITLE  # one letter too many
    assert titles(run(search, q="Siemsns"))[0] == SEED_TITLE  # author name, one substitution


def test_prefix_search_as_you_type(corpus, search):
    assert SEED_TITLE in titles(run(search, q="al-Mali"))
    assert "Roy Siemens" in [a["name"] for a in run(search, q="Sieme")["authors"]["hits"]]


def test_filter_by_section_and_facet_counts(corpus, search):
    everything = run(search, q="", facets="true")
    assert everything["stories"]["facets"]["section"]["business"] == PER_CATEGORY
    business = run(search, q="", section="business", per_page=50, facets="true")
    assert business["stories"]["total"] == PER_CATEGORY
    assert {h["section"] for h in business["stories"]["hits"]} == {"business"}
    # The selected facet keeps the counts of its other values (to widen the search).
    assert business["stories"]["facets"]["section"]["sport"] == PER_CATEGORY


def test_values_of_one_facet_are_or_facets_are_and(corpus, search):
    either = run(search, q="", section=["business", "sport"], per_page=50)
    assert either["stories"]["total"] == 2 * PER_CATEGORY
    both = run(search, q="", section="sport", source="BBC Sport", author=AUTHORS[0], per_page=50)
    hits = both["stories"]["hits"]
    assert hits and all(h["section"] == "sport" and h["authors"] == [AUTHORS[0]] for h in hits)
    assert run(search, q="", section="sport", source="BBC News")["stories"]["total"] == 0


def test_language_and_tag_facets(corpus, search):
    french = run(search, q="", language="fr")
    assert titles(french) == [search_corpus.FRENCH_TITLE]
    assert run(search, q="", tag="bbc")["stories"]["total"] == 5 * PER_CATEGORY


def test_sort_newest_first(corpus, search):
    result = run(search, q="", sort="newest", source="BBC News", per_page=50)
    dates = [h["published_at"] for h in result["stories"]["hits"]]
    assert len(dates) == 4 * PER_CATEGORY and None not in dates
    assert dates == sorted(dates, reverse=True)


def test_date_range(corpus, search):
    result = run(search, q="", **{"from": "2005-01-05", "to": "2005-01-07"}, per_page=50)
    assert sorted(h["published_at"][:10] for h in result["stories"]["hits"]) == [
        "2005-01-05", "2005-01-06", "2005-01-07"]


def test_pagination(corpus, search):
    first = run(search, q="", tag="bbc", sort="newest", per_page=7, page=1)
    second = run(search, q="", tag="bbc", sort="newest", per_page=7, page=2)
    last = run(search, q="", tag="bbc", sort="newest", per_page=7, page=5)
    assert first["stories"]["total"] == 5 * PER_CATEGORY and first["stories"]["total_pages"] == 5
    ids = [h["id"] for r in (first, second) for h in r["stories"]["hits"]]
    assert len(ids) == 14 and len(set(ids)) == 14
    assert len(last["stories"]["hits"]) == 5 * PER_CATEGORY - 4 * 7


def test_author_page(corpus, search):
    page = search.get(f"/v1/authors/{AUTHORS[0].lower().replace(' ', '-')}",
                      params={"per_page": 100}).json()
    assert page["author"]["name"] == AUTHORS[0]
    stories = page["stories"]["hits"]
    assert page["stories"]["total"] == page["author"]["article_count"] == len(stories) > 0
    assert all(h["authors"] == [AUTHORS[0]] for h in stories)
    dates = [h["published_at"] for h in stories]
    assert dates == sorted(dates, reverse=True)
    assert search.get("/v1/authors/nobody-by-that-name").status_code == 404
    assert search.get("/v1/authors/Not A Slug").status_code == 404


@pytest.mark.parametrize(("params", "param"), [
    ({"sort": "oldest"}, "sort"), ({"page": "0"}, "page"), ({"per_page": "1000"}, "per_page"),
    ({"from": "last tuesday"}, "from"), ({"from": "2005-02-01", "to": "2005-01-01"}, "to"),
    ({"colour": "red"}, "colour"), ({"section": "x" * 300}, "section"),
    ({"facets": "some"}, "facets"),
])
def test_invalid_parameters_are_422_naming_the_parameter(search, params, param):
    response = search.get("/v1/search", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", param]


@pytest.mark.parametrize("value", [
    'BBC News" OR section = "sport', "BBC News' OR 1=1", 'x" OR source EXISTS OR source = "y',
    'back\\slash"', "BBC News)",
])
def test_filter_values_cannot_inject_filter_syntax(corpus, search, value):
    response = search.get("/v1/search", params={"q": "", "source": value})
    assert response.status_code == 200, response.text
    assert response.json()["stories"]["total"] == 0


def test_markup_in_articles_comes_back_as_plain_text(corpus, search):
    hit = run(search, q="hackers comments")["stories"]["hits"][0]
    assert hit["title"] == XSS_TITLE
    text = "".join(piece["text"] for piece in hit["highlight"]["title"])
    assert text == XSS_TITLE  # the segments carry the markup as text, no tags added
    assert XSS_MARKUP in hit["snippet"]


def test_master_key_never_reaches_the_browser(stack, search):
    key = stack.cfg.master_key()
    for path in ("/", "/static/app.js", "/openapi.json", "/v1/search?q=roy"):
        assert key not in search.get(path).text, path


def test_index_settings_from_code_are_applied(corpus, meili):
    from newswire_index.documents import ARTICLE_SETTINGS, AUTHOR_SETTINGS

    for uid, expected in (("articles", ARTICLE_SETTINGS), ("authors", AUTHOR_SETTINGS)):
        applied = meili.get(f"/indexes/{uid}/settings").json()
        assert sorted(applied["stopWords"]) == sorted(expected["stopWords"]), uid
        assert applied["synonyms"] == expected["synonyms"], uid
        assert applied["prefixSearch"] == "indexingTime", uid
        assert applied["typoTolerance"]["enabled"] is True, uid
        assert applied["facetSearch"] is False, uid
