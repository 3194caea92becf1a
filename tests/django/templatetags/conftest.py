"""Fixtures for the template tag and serving tests."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalogue(shop):
    """The test shop plus a few more products (ids as strings by name)."""
    from tests.django.testapp.models import Category, Product

    socks = Category.objects.create(name="Socks")
    products = dict(shop)
    for name in ("wool", "cotton", "silk", "linen"):
        products[name] = Product.objects.create(
            category=socks, name=name.title(), slug=name, price="5.00"
        )
    return products


def pid(product) -> str:
    return str(product.pk)


@pytest.fixture
def users(db):
    User = get_user_model()
    return User.objects.create_user("ann"), User.objects.create_user("bob")


@pytest.fixture
def make_request():
    """A GET request for ``user`` (a guest with session ``session_id`` when None)."""

    def make(user=None, session_id="guest-1"):
        request = RequestFactory().get("/")
        request.user = user or AnonymousUser()
        # A plain dict is a session as far as the session-id code goes (and costs no query).
        request.session = {} if user else {"_personalize_session_id": session_id}
        return request

    return make


@pytest.fixture
def render():
    def render(source: str, request, **context) -> str:
        return Template("{% load personalize %}" + source).render(
            Context({"request": request, **context})
        )

    return render
