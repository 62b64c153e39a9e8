"""Property-based fuzzing of the ingest API from its own OpenAPI schema: never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from newswire_ingest.app import create_app

pytestmark = pytest.mark.integration

schema = schemathesis.openapi.from_dict(create_app().fastapi.openapi())


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_ingest_never_answers_5xx(case, stack):
    response = case.call(base_url=stack.cfg.ingest_url,
                         headers={"Authorization": f"Bearer {stack.api_key}"}, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
