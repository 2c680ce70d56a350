"""The app against its own OpenAPI spec (schemathesis): generated requests to every route but the one
that starts training or makes keys get no server error and answers that match the spec (status, content type, headers, body).

Not checked: that every schema-valid request is accepted; some rules span fields (`seeds` or `start`,
not both) and are 422s the schema cannot express.
"""
from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app

EXAMPLES = 12  # per operation: about 20 operations, a few seconds in all
# Left out: job creation (would queue training), and making or revoking keys (the first key ends the
# test app's anonymous mode, and every later request would be a 401).
EXCLUDED_ROUTES = [("POST", "/v1/jobs"), ("POST", "/v1/keys"), ("DELETE", "/v1/keys/{key_id}")]
REQUEST_FIELDS = {"method", "url", "headers", "params", "cookies", "json", "data", "files"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _schema():
    schema = schemathesis.openapi.from_dict(create_app().openapi())  # creating the app touches no Redis
    for method, path in EXCLUDED_ROUTES:
        schema = schema.exclude(method=method, path=path)
    return schema


schema = _schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_matches_its_spec(case, client):
    # schemathesis prepares requests for `requests`; encoded by it, then sent through the app's TestClient
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs = {key: value for key, value in kwargs.items() if key in REQUEST_FIELDS}
    prepared = requests.Request(**kwargs).prepare()
    response = client.request(prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body)
    case.validate_response(response, checks=CHECKS)
