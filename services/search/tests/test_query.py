"""Pure search logic: filter building and escaping, query shapes, highlight segments."""

import pytest

from newswire_search.query import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    ParameterError,
    SearchRequest,
    build_filter,
    build_queries,
    parse_date,
    quote,
    segments,
    shape_response,
)


def test_quote_escapes_quotes_and_backslashes():
    assert quote('BBC') == '"BBC"'
    assert quote('a"b') == '"a\\"b"'
    assert quote('a\\"b') == '"a\\\\\\"b"'


def test_filter_or_within_a_facet_and_across_facets():
    request = SearchRequest(filters={"section": ["sport", "business"], "person": ["Ada"]},
                            date_from=10, date_to=20)
    assert build_filter(request) == [
        'section = "sport" OR section = "business"', 'entities.person = "Ada"',
        "published_at_ts >= 10", "published_at_ts <= 20"]
    assert build_filter(request, without="section") == [
        'entities.person = "Ada"', "published_at_ts >= 10", "published_at_ts <= 20"]


def test_one_extra_facet_query_per_filtered_facet_in_the_same_round_trip():
    request = SearchRequest(q="x", filters={"source": ["BBC"]}, facets=True)
    queries, facet_params = build_queries(request)
    assert [q["indexUid"] for q in queries] == ["articles", "authors", "articles"]
    assert facet_params == ["source"] and queries[2]["facets"] == ["source"]
    assert "keywords" not in queries[0]["facets"]  # filterable, but too many values to count
    newest, _ = build_queries(SearchRequest(sort="newest"))
    assert newest[0]["sort"][0] == "published_at_ts:desc"
    assert "sort" not in build_queries(SearchRequest())[0][0]


def test_facets_are_counted_only_when_asked_for():
    queries, facet_params = build_queries(SearchRequest(q="x", filters={"source": ["BBC"]}))
    assert [q["indexUid"] for q in queries] == ["articles", "authors"] and facet_params == []
    assert "facets" not in queries[0]
    assert queries[0]["filter"] == ['source = "BBC"']
    stories = {"hits": [], "totalHits": 0, "facetDistribution": {"source": {"BBC": 1}}}
    body = shape_response(SearchRequest(), [stories, {"hits": []}], [])
    assert "facets" not in body["stories"]


def test_dates():
    assert parse_date("from", "2005-01-01", end_of_day=False) == 1104537600
    assert parse_date("to", "2005-01-01", end_of_day=True) == 1104537600 + 86399
    assert parse_date("from", "2005-01-01T01:00:00Z", end_of_day=False) == 1104537600 + 3600
    with pytest.raises(ParameterError) as error:
        parse_date("to", "soon", end_of_day=True)
    assert error.value.param == "to"


def test_segments_turn_sentinels_into_matches_and_keep_markup_as_text():
    text = f"<b>{HIGHLIGHT_PRE}ISIS{HIGHLIGHT_POST}</b> and <script>"
    assert segments(text) == [{"text": "<b>", "match": False}, {"text": "ISIS", "match": True},
                              {"text": "</b> and <script>", "match": False}]
    assert segments(f"stray {HIGHLIGHT_POST}x") == [{"text": "stray x", "match": False}]
    assert segments(None) == []


def test_shape_response_merges_disjunctive_facets():
    request = SearchRequest(filters={"section": ["sport"]}, facets=True)
    stories = {"hits": [{"id": "1", "title": "T", "_formatted": {"title": "T", "body": "b"}}],
               "totalHits": 1, "totalPages": 1,
               "facetDistribution": {"section": {"sport": 1}, "source": {"BBC": 1}}}
    authors = {"hits": [], "estimatedTotalHits": 0}
    widened = {"hits": [], "facetDistribution": {"section": {"sport": 1, "business": 4}}}
    body = shape_response(request, [stories, authors, widened], ["section"])
    assert body["stories"]["facets"]["section"] == {"sport": 1, "business": 4}
    assert body["stories"]["facets"]["source"] == {"BBC": 1}
    assert body["stories"]["hits"][0]["snippet"] == "b"
    assert body["authors"] == {"hits": [], "total": 0}


def test_segments_split_path_equals_the_regex_path_on_random_sentinel_mixes():
    import random

    from newswire_search.query import _segments_unpaired

    rng = random.Random(8)
    alphabet = ["a", "b", " ", HIGHLIGHT_PRE, HIGHLIGHT_POST]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        assert segments(text) == _segments_unpaired(text), repr(text)
    paired = f"x {HIGHLIGHT_PRE}y{HIGHLIGHT_POST} z{HIGHLIGHT_PRE}{HIGHLIGHT_POST}"
    assert segments(paired) == [{"text": "x ", "match": False}, {"text": "y", "match": True},
                                {"text": " z", "match": False}]


def test_snippets_come_from_a_600_char_head_cut_between_words():
    from newswire_index.documents import SNIPPET_SOURCE_CHARS, body_head

    body = " ".join(f"word{i}" for i in range(400))
    head = body_head(body)
    assert SNIPPET_SOURCE_CHARS == 600  # what the search latency figures were measured with
    assert 300 < len(head) <= 600 and body.startswith(head) and body[len(head)] == " "
    assert body_head("short body") == "short body"
