"""Data for every page: the categories, the cart's size, and which filters
are configured (on AWS a filter exists only once created in the dataset
group, so templates use one only when it is there)."""

from __future__ import annotations

from django.db.models import Sum
from django.http import HttpRequest

from personalize_django.client import get_client

from .cart import get_cart
from .models import Category


def shop(request: HttpRequest) -> dict:
    cart = get_cart(request)
    count = (cart.lines.aggregate(n=Sum("quantity"))["n"] or 0) if cart else 0
    return {
        "nav_categories": Category.objects.all(),
        "cart_count": count,
        "personalize_filters": frozenset(get_client().filters),
    }
