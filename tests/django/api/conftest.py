"""Fixtures for the REST API tests (skipped without Django REST framework)."""

from __future__ import annotations

import pytest

pytest.importorskip("rest_framework")
pytest.importorskip("drf_spectacular")

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.cache import cache  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

API = "/api/personalize/"


class ErrorResponses:
    """Every 4xx answer of the API during a test, validated against the schema
    of its operation and status (or the ``Error`` component when the
    operation does not document that status: every 4xx has the one shape)."""

    schema: dict | None = None

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, object]] = []

    @classmethod
    def load_schema(cls) -> dict:
        if cls.schema is None:
            from django.test import Client

            cls.schema = Client().get(API + "schema/?format=json").json()
        return cls.schema

    def response_schema(self, path: str, method: str, status: int) -> dict:
        import re

        schema = self.load_schema()
        for template, operations in schema["paths"].items():
            pattern = "^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method in operations:
                documented = operations[method]["responses"].get(str(status))
                if documented:
                    return documented["content"]["application/json"]["schema"]
        return {"$ref": "#/components/schemas/Error"}

    def validate(self) -> None:
        import jsonschema

        components = self.load_schema()["components"]
        for path, method, status, body in self.seen:
            target = {**self.response_schema(path, method, status), "components": components}
            try:
                jsonschema.validate(body, target)
            except jsonschema.ValidationError as err:
                raise AssertionError(
                    f"{method.upper()} {path} answered {status} with {body!r}, "
                    f"which is not its schema's shape: {err.message}"
                ) from None
            assert set(body) >= {"detail", "code"}, (path, status, body)


@pytest.fixture(autouse=True)
def error_responses(monkeypatch):
    """Collect the API's 4xx answers; validate them when the test ends."""
    from personalize_django.api.views import PersonalizeAPIView

    collected = ErrorResponses()
    finalize = PersonalizeAPIView.finalize_response

    def finalize_and_keep(self, request, response, *args, **kwargs):
        response = finalize(self, request, response, *args, **kwargs)
        if 400 <= response.status_code < 500:
            collected.seen.append(
                (request.path, request.method.lower(), response.status_code, response.data)
            )
        return response

    monkeypatch.setattr(PersonalizeAPIView, "finalize_response", finalize_and_keep)
    yield collected
    collected.validate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Lists and throttle counters live in the cache: start every test afresh."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalogue(shop):
    from tests.django.testapp.models import Category, Product

    socks = Category.objects.create(name="Socks")
    products = dict(shop)
    for name in ("wool", "cotton"):
        products[name] = Product.objects.create(
            category=socks, name=name.title(), slug=name, price="5.00"
        )
    return products


@pytest.fixture
def users(db):
    User = get_user_model()
    return User.objects.create_user("ann", password="pw"), User.objects.create_user(
        "bob", password="pw"
    )


@pytest.fixture
def browser():
    """A browser: session cookies, CSRF enforced as in production."""
    return APIClient(enforce_csrf_checks=True)


def csrf_token(client) -> str:
    """Get the CSRF cookie as a page (or an SPA's first GET) would."""
    response = client.get(API + "recommendations/best_sellers/")
    assert response.status_code == 200, response.content
    return client.cookies["csrftoken"].value


@pytest.fixture
def service(db):
    """A trusted service: a token whose user may record for anyone."""
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("recommender-service")
    user.user_permissions.add(
        Permission.objects.get(codename="add_outboxevent", content_type__app_label="personalize")
    )
    token = Token.objects.create(user=user)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.token = token.key
    return client


def outbox(kind: str = "event") -> list[dict]:
    from personalize_django.models import OutboxEvent

    return [row.payload for row in OutboxEvent.objects.filter(kind=kind).order_by("id")]
