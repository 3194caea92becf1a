"""The products recommendations are loaded from: parents only, with what
Oscar's product card reads loaded in the same few queries for the whole list
(its class and options, stock records, images, public variants and their
stock records), so a block of cards costs a handful of queries, not a few
per card."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from oscar.core.loading import get_model


def product_queryset(request: Any = None) -> QuerySet:
    """Parent and standalone products (variants are recommended as their
    parent), the non-public ones too: availability drops those, and their
    saves must still reach the backend as unavailable.

    Without a request (``personalize_sync``: every product's record is
    built, categories included) the categories are loaded with the rest,
    one query for the whole chunk instead of one per product."""
    Product = get_model("catalogue", "Product")
    Option = get_model("catalogue", "Option")
    public_children = Product._default_manager.public().prefetch_related("stockrecords")
    # Oscar's base_queryset() less what a card never reads (every child, the
    # options themselves: the card asks has_options, which these annotations
    # answer), plus the public variants Oscar's strategy prices a parent by.
    products = (
        Product._default_manager.browsable_dashboard()
        .select_related("product_class")
        .annotate(
            has_product_class_options=Exists(
                Option.objects.filter(productclass=OuterRef("product_class"))
            ),
            has_product_options=Exists(Option.objects.filter(product=OuterRef("pk"))),
        )
        .prefetch_related(
            "stockrecords",
            "images",
            Prefetch("children", queryset=public_children, to_attr="_prefetched_public_children"),
        )
    )
    return products.prefetch_related("categories") if request is None else products
