from django.shortcuts import get_object_or_404, render

from .models import Category, Product


def home(request):
    return render(
        request,
        "catalog/home.html",
        {"categories": Category.objects.all(), "products": Product.objects.select_related("category")[:24]},
    )


def product(request, pk: int):
    item = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    return render(request, "catalog/product.html", {"product": item})
