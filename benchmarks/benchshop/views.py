"""Product pages as shops write them: the product, its category and a row of
other products from the category, rendered through a template. ``product``
renders a bare page that never touches the session; ``product_layout`` the
same inside a site layout whose header shows the visitor's login state and
cart (what nearly every shop's base template does); ``product_reco`` the
layout page plus the two recommendation blocks a shop puts on a product page
(also viewed, bought together), which is what a shop using this package serves."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from personalize_django.decorators import track_item_view

from .models import Product


def _context(pk):
    item = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    return {"product": item, "related": list(item.category.products.exclude(pk=item.pk)[:8])}


def product(request, pk):
    return render(request, "benchshop/product.html", _context(pk))


def product_layout(request, pk):
    return render(request, "benchshop/product_layout.html", _context(pk))


def product_reco(request, pk):
    return render(request, "benchshop/product_reco.html", _context(pk))


tracked_product = track_item_view(Product)(product)
tracked_product_layout = track_item_view(Product)(product_layout)
tracked_product_reco = track_item_view(Product)(product_reco)
tracked_in_request_product_reco = track_item_view(Product, write_after_response=False)(
    product_reco
)


def ping(request):
    """An empty page: once a single-threaded server answers it, the server is idle
    (whatever it ran after its previous response has finished)."""
    return HttpResponse(b"")
