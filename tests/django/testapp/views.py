"""Views used by the tests: a function view with the decorator, class-based
views with the mixin, and a checkout that creates order lines."""

from django.db import transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView

from personalize_django.decorators import track_item_view
from personalize_django.mixins import TrackItemViewMixin

from .models import Order, OrderLine, Product


@track_item_view(Product)
def product(request, pk):
    item = get_object_or_404(Product, pk=pk)
    return HttpResponse(f"<h1>{item.name}</h1>")


@track_item_view(Product, lookup="slug")
def product_by_slug(request, slug):
    item = get_object_or_404(Product, slug=slug)
    return HttpResponse(f"<h1>{item.name}</h1>")


@track_item_view(lambda request, *args, **kwargs: request.GET.get("sku"))
def product_by_sku(request):
    return HttpResponse("sku page")


@track_item_view(Product)
def product_gone(request, pk):
    return HttpResponseNotFound("gone")


class ProductDetail(TrackItemViewMixin, DetailView):
    model = Product

    def render_to_response(self, context, **kwargs):
        return HttpResponse(f"<h1>{self.object.name}</h1>")


class QuickLookDetail(ProductDetail):
    personalize_event_type = "QuickLook"


def checkout(request):
    """Buys the products in ?p=1&p=2; ?fail=1 raises after creating the lines."""
    with transaction.atomic():
        order = Order.objects.create(
            customer=request.user if request.user.is_authenticated else None
        )
        for pk in request.GET.getlist("p"):
            item = Product.objects.get(pk=pk)
            OrderLine.objects.create(order=order, product=item, price=item.price)
        if request.GET.get("fail"):
            raise RuntimeError("payment declined")
    return HttpResponse("ok")


def login_view(request):
    """Logs in with ?u=<username> (password "pw"), as a shop's login form would."""
    from django.contrib.auth import authenticate, login

    user = authenticate(request, username=request.GET["u"], password="pw")
    login(request, user)
    return HttpResponse("welcome")


def logout_view(request):
    from django.contrib.auth import logout

    logout(request)
    return HttpResponse("bye")
