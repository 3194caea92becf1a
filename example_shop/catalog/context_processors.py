"""Navigation data for every page: the categories and the cart's size."""

from __future__ import annotations

from django.db.models import Sum
from django.http import HttpRequest

from .cart import get_cart
from .models import Category


def shop(request: HttpRequest) -> dict:
    cart = get_cart(request)
    count = (cart.lines.aggregate(n=Sum("quantity"))["n"] or 0) if cart else 0
    return {"nav_categories": Category.objects.all(), "cart_count": count}
