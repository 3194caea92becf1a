"""The test site's search engine: Haystack's simple backend finds nothing
for the catalogue's match-all query with filters (it only matches words),
so this one answers every query with the public products, as Haystack
SearchResult objects (what Oscar's listings hold)."""

from __future__ import annotations

from typing import Any

from haystack.backends.simple_backend import SimpleEngine, SimpleSearchBackend, SimpleSearchQuery
from haystack.models import SearchResult
from oscar.core.loading import get_model


class CatalogueBackend(SimpleSearchBackend):
    def search(self, query_string: str, **kwargs: Any) -> dict[str, Any]:
        Product = get_model("catalogue", "Product")
        results = []
        for product in Product._default_manager.browsable().order_by("pk"):
            result = SearchResult("catalogue", "product", product.pk, 0)
            result._model, result._object = Product, product
            results.append(result)
        return {"results": results, "hits": len(results)}


class CatalogueEngine(SimpleEngine):
    backend = CatalogueBackend
    query = SimpleSearchQuery
