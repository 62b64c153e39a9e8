"""GET /v1/search's query parameters: one pydantic model, validated in one call per request.

Declared one by one on the FastAPI route, these 16 parameters cost ~0.3 ms of CPU a request
to resolve; validating the same model directly costs ~0.04 ms. The model also writes their
OpenAPI description, so the docs keep naming every parameter.
"""

from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model
from starlette.datastructures import QueryParams

from .query import FACET_PARAMS, ParameterError, SearchRequest, Sort, parse_date

MAX_FILTER_VALUES = 20
MAX_FILTER_CHARS = 200

FilterValues = Annotated[list[Annotated[str, StringConstraints(max_length=MAX_FILTER_CHARS)]],
                         Field(max_length=MAX_FILTER_VALUES)]


class _SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: str = Field("", max_length=500, description="Words; the last may be a prefix")
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(10, ge=1, le=100)
    sort: Sort = Field("relevance", description="relevance (default) or newest")
    date_from: str | None = Field(None, alias="from", max_length=40,
                                  description="published on/after (ISO date or datetime)")
    date_to: str | None = Field(None, alias="to", max_length=40,
                                description="published on/before (ISO date or datetime)")
    facets: bool = Field(False, description="also count the values of every facet "
                                            "(stories.facets); costs more")


#: Each facet filter is a repeatable parameter: ?section=sport&section=business is either.
SearchParams: type[_SearchParams] = create_model(  # type: ignore[call-overload]
    "SearchParams", __base__=_SearchParams,
    **{param: (FilterValues, Field(default_factory=list,
                                   description=f"stories whose {attribute} is any of these"))
       for param, attribute in FACET_PARAMS.items()})


KNOWN = frozenset(field.alias or name for name, field in SearchParams.model_fields.items())


def search_request(query: QueryParams) -> SearchRequest:
    """Validated parameters -> SearchRequest; a 422 naming the parameter otherwise."""
    unknown = sorted(set(query) - KNOWN)
    if unknown:
        raise RequestValidationError([{
            "loc": ("query", unknown[0]), "type": "extra_forbidden",
            "msg": f"unknown parameter; known: {', '.join(sorted(KNOWN))}"}])
    raw: dict[str, Any] = {}
    for name, value in query.multi_items():
        if name in FACET_PARAMS:
            raw.setdefault(name, []).append(value)
        else:
            raw[name] = value  # like FastAPI: a repeated single-valued parameter, the last wins
    try:
        params = SearchParams.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("query", error["loc"][0])}
                                      for error in exc.errors(include_url=False)]) from None
    ts_from = parse_date("from", params.date_from, end_of_day=False) if params.date_from else None
    ts_to = parse_date("to", params.date_to, end_of_day=True) if params.date_to else None
    if ts_from is not None and ts_to is not None and ts_from > ts_to:
        raise ParameterError("to", "must not be before 'from'")
    filters: dict[str, list[str]] = {}
    for param in FACET_PARAMS:
        values: list[str] = getattr(params, param)
        if any(values):
            filters[param] = list(dict.fromkeys(v for v in values if v))
    return SearchRequest(q=params.q, page=params.page, per_page=params.per_page, sort=params.sort,
                         filters=filters, date_from=ts_from, date_to=ts_to, facets=params.facets)


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters (for a route that reads them itself)."""
    parameters = []
    for name, schema in model.model_json_schema(by_alias=True)["properties"].items():
        schema = dict(schema)
        description = schema.pop("description", None)
        parameters.append({"name": name, "in": "query", "required": False, "schema": schema,
                           **({"description": description} if description else {})})
    return parameters
