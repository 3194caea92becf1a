"""The OpenAPI schema, and a schemathesis run over it that must find no 5xx."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from .conftest import API

#: examples per operation and caller (bounded: the whole run stays well under a minute)
MAX_EXAMPLES = 25


@pytest.mark.django_db
def test_schema_lists_every_endpoint_and_nothing_else(client):
    response = client.get(API + "schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert paths == {
        API + "recommendations/{use_case}/",
        API + "ranking/",
        API + "events/",
        API + "items/",
        API + "users/",
    }
    get = schema["paths"][API + "recommendations/{use_case}/"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"use_case", "item", "limit", "filter", "user"}
    assert set(get["responses"]) >= {"200", "400", "404", "429"}
    assert "text/plain" in schema["paths"][API + "events/"]["post"]["requestBody"]["content"]


@pytest.mark.django_db(transaction=False)
def test_schemathesis_finds_no_server_error(catalogue, service):
    schemathesis = pytest.importorskip("schemathesis")
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi(API + "schema/?format=json", app)
    callers = {"browser": {}, "trusted service": {"Authorization": f"Token {service.token}"}}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    for operation in operations:
        for caller, headers in callers.items():

            @given(case=operation.as_strategy())
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        (
                            caller,
                            case.method,
                            case.formatted_path,
                            case.query,
                            case.body,
                            response.status_code,
                        )
                    )

            run()
    assert failures == []
