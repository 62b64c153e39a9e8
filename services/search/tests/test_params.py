"""GET /v1/search's parameters: parsing, validation errors naming the parameter, OpenAPI docs."""

import pytest
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import QueryParams

from newswire_search.app import create_app
from newswire_search.params import SearchParams, openapi_parameters, search_request
from newswire_search.query import FACET_PARAMS, ParameterError, SearchRequest


def parse(query: str) -> SearchRequest:
    return search_request(QueryParams(query))


def failing_param(query: str) -> str:
    with pytest.raises((RequestValidationError, ParameterError)) as error:
        parse(query)
    if isinstance(error.value, ParameterError):
        return error.value.param
    [detail] = error.value.errors()
    assert detail["loc"][0] == "query"
    return detail["loc"][1]


def test_defaults():
    assert parse("") == SearchRequest()


def test_values_are_parsed_stripped_and_repeated_filters_kept_once():
    request = parse("q=+economy+&page=2&per_page=5&sort=newest&facets=true"
                    "&section=sport&section=+business&section=sport&section=&place=Mosul"
                    "&from=2005-01-01&to=2005-01-31")
    assert request == SearchRequest(
        q="economy", page=2, per_page=5, sort="newest", facets=True,
        filters={"section": ["sport", "business"], "place": ["Mosul"]},
        date_from=1104537600, date_to=1104537600 + 31 * 86400 - 1)
    assert parse("section=&section=+").filters == {}


@pytest.mark.parametrize(("query", "param"), [
    ("sort=oldest", "sort"), ("page=0", "page"), ("page=x", "page"), ("per_page=101", "per_page"),
    ("facets=some", "facets"), ("q=" + "x" * 501, "q"), ("from=last+tuesday", "from"),
    ("from=2005-02-01&to=2005-01-01", "to"), ("colour=red", "colour"),
    ("section=" + "x" * 201, "section"), ("&".join(["tag=a"] * 21), "tag"),
])
def test_invalid_values_name_their_parameter(query, param):
    assert failing_param(query) == param


def test_openapi_documents_every_parameter():
    names = {p["name"] for p in openapi_parameters(SearchParams)}
    assert names == {"q", "page", "per_page", "sort", "from", "to", "facets", *FACET_PARAMS}
    operation = create_app().openapi()["paths"]["/v1/search"]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert documented.keys() == names
    assert documented["sort"]["schema"]["enum"] == ["relevance", "newest"]
    assert documented["section"]["schema"]["type"] == "array"


def test_the_app_answers_invalid_parameters_with_fastapis_422_before_asking_meilisearch():
    from fastapi.testclient import TestClient

    from newswire_cli.stack import free_port
    from newswire_common.settings import Settings

    nothing_listens = f"http://127.0.0.1:{free_port()}"  # a 503 if anything asked it
    with TestClient(create_app(Settings(meili_url=nothing_listens))) as client:
        for query, param in (("colour=red", "colour"), ("page=0", "page"),
                             ("from=2005-02-01&to=2005-01-01", "to")):
            response = client.get(f"/v1/search?{query}")
            assert response.status_code == 422, (query, response.text)
            assert response.json()["detail"][0]["loc"] == ["query", param]
        assert client.get("/v1/search?q=x").status_code == 503
        assert client.post("/v1/search?q=x").status_code == 405  # not the fast path
