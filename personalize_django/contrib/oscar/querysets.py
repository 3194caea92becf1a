"""The products recommendations are loaded from: parents only, with what
Oscar's product card reads loaded in the same few queries for the whole list
(its class and options, stock records, images, public variants and their
stock records), so a block of cards costs a handful of queries, not a few
per card."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from oscar.core.loading import get_model


def product_queryset(request: Any = None) -> QuerySet:
    """Parent and standalone products (variants are recommended as their
    parent), the non-public ones too: availability drops those, and their
    saves must still reach the backend as unavailable."""
    Product = get_model("catalogue", "Product")
    public_children = Product._default_manager.public().prefetch_related("stockrecords")
    return (
        Product._default_manager.browsable_dashboard()
        .base_queryset()
        .prefetch_related(
            Prefetch("children", queryset=public_children, to_attr="_prefetched_public_children")
        )
    )
