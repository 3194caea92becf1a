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
