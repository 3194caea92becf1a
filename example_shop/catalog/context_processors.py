"""Data for every page: the categories, the cart's size, and which filters
are configured (on AWS a filter exists only once created in the dataset
group, so templates use one only when it is there)."""

from __future__ import annotations

from django.db.models import Sum
from django.http import HttpRequest

from personalize_django.client import get_client

from .cart import get_cart
from .models import Category


#: how the header names the backend serving the recommendations
BACKEND_NAMES = {
    "local": "the local engine",
    "aws": "Amazon Personalize",
    "http": "a remote shop's API",
}


def shop(request: HttpRequest) -> dict:
    client = get_client()
    cart = get_cart(request)
    count = (cart.lines.aggregate(n=Sum("quantity"))["n"] or 0) if cart else 0
    return {
        "nav_categories": Category.objects.all(),
        "cart_count": count,
        "personalize_filters": frozenset(client.filters),
        "personalize_backend": BACKEND_NAMES.get(client.backend.name, client.backend.name),
    }
