"""Oscar's signals that are not model saves: a product page view."""

from __future__ import annotations

from typing import Any

from ...decorators import track_view
from .registration import canonical


def on_product_viewed(
    sender: Any, product: Any, user: Any, request: Any = None, response: Any = None, **kwargs: Any
) -> None:
    """Record View for the product shown (a variant's page counts for its
    parent), as the view decorator does: after the response when
    ``RECORD_VIEWS_AFTER_RESPONSE`` is on, bad data logged, never raised."""
    if request is not None and response is not None and 200 <= response.status_code < 300:
        track_view(request, canonical(product), response=response)
