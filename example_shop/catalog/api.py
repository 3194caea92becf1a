"""The shop's own small JSON endpoint (the single-page view's product panel).

Recommendations and event recording are personalize_django's REST API,
mounted under ``/api/personalize/``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse

from .models import Product


def product_detail(request: HttpRequest, pk: int) -> JsonResponse:
    item = Product.objects.select_related("category").filter(pk=pk).first()
    if item is None:
        raise Http404("no such product")
    return JsonResponse(
        {
            "item_id": str(item.pk),
            "title": item.name,
            "description": item.description,
            "brand": item.brand,
            "kind": item.kind,
            "category": item.category.name,
            "price": str(item.price),
            "available": item.available,
            "url": item.get_absolute_url(),
            "image": item.get_image_url(),
        }
    )
