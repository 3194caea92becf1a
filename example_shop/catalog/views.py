"""The shop's pages. Recommendations come from the ``{% load personalize %}``
template tags (home, product, cart) and from ``personalize_django.pages.rank``
(category pages); views of product pages are recorded by ``@track_item_view``.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from personalize_django import track_item_view
from personalize_django.pages import rank

from .cart import SESSION_RECENT, get_cart, remember_guest_order, remember_view
from .models import CartLine, Category, Order, OrderLine, Product
from .pictures import product_svg

PAGE_SIZE = 24
#: Personalize ranks at most 500 items per call: the candidates of a category page
RANK_CANDIDATES = 500
SORTS = {
    "recommended": "Recommended for you",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "new": "Newest",
}


def products() -> "Product.objects":
    return Product.objects.select_related("category")


def home(request: HttpRequest) -> HttpResponse:
    recent_ids = request.session.get(SESSION_RECENT, [])[:6]
    recent = {p.pk: p for p in products().filter(pk__in=recent_ids)}
    return render(
        request,
        "catalog/home.html",
        {
            "categories": Category.objects.all(),
            "recently_viewed": [recent[pk] for pk in recent_ids if pk in recent],
        },
    )


def category(request: HttpRequest, slug: str) -> HttpResponse:
    """A category's products, ordered by the personalized ranking by default."""
    cat = get_object_or_404(Category, slug=slug)
    sort = request.GET.get("sort", "recommended")
    if sort not in SORTS:
        sort = "recommended"
    queryset = products().filter(category=cat)
    ranking_source = None
    if sort == "recommended":
        candidates = list(queryset.order_by("-created_at")[:RANK_CANDIDATES])
        ranked = rank(candidates, request=request)
        ranking_source = ranked.source
        # Items the ranking left out (out of stock...) come last rather than vanish.
        seen = {p.pk for p in ranked}
        items = list(ranked) + [p for p in candidates if p.pk not in seen]
    else:
        items = queryset.order_by(
            {"price": "price", "-price": "-price", "new": "-created_at"}[sort], "pk"
        )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/category.html",
        {
            "category": cat,
            "page": page,
            "sort": sort,
            "sorts": SORTS,
            "ranking_source": ranking_source,
        },
    )


@track_item_view(Product)
def product(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    item = get_object_or_404(products(), pk=pk)
    if slug != item.slug:
        return redirect(item, permanent=True)
    remember_view(request, item.pk)
    return render(request, "catalog/product.html", {"product": item})


@cache_control(max_age=86400, public=True)
def product_image(request: HttpRequest, pk: int) -> HttpResponse:
    item = Product.objects.select_related("category").filter(pk=pk).first()
    if item is None:
        raise Http404("no such product")
    svg = product_svg(item.pk, item.category.color, item.category.motif, item.name, item.kind)
    return HttpResponse(svg, content_type="image/svg+xml")


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    found = products().none()
    if query:
        found = products().filter(
            Q(name__icontains=query) | Q(kind__icontains=query) | Q(brand__icontains=query)
        )
    page = Paginator(found.order_by("name"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/search.html", {"query": query, "page": page})


# -- cart and checkout -------------------------------------------------------
@require_POST
def add_to_cart(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Product, pk=pk)
    if not item.available:
        messages.error(request, f"Sorry, {item.name} is out of stock.")
        return redirect(item)
    with transaction.atomic():
        cart = get_cart(request, create=True)
        line, created = CartLine.objects.get_or_create(
            cart=cart, product=item
        )  # created: AddToCart
        if not created:
            line.quantity += 1
            line.save(update_fields=["quantity"])
    messages.success(request, f"Added {item.name} to your cart.")
    return redirect(request.POST.get("next") or reverse("cart"))


@require_POST
def update_cart(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = get_cart(request)
    line = get_object_or_404(CartLine, pk=line_id, cart=cart) if cart else None
    if line is None:
        raise Http404("no such cart line")
    try:
        quantity = int(request.POST.get("quantity", "0"))
    except ValueError:
        quantity = line.quantity
    if quantity <= 0:
        line.delete()
    else:
        line.quantity = min(quantity, 99)
        line.save(update_fields=["quantity"])
    return redirect("cart")


def cart_view(request: HttpRequest) -> HttpResponse:
    cart = get_cart(request)
    lines = list(cart.lines.select_related("product__category")) if cart else []
    total = sum((line.subtotal for line in lines), Decimal("0"))
    return render(
        request,
        "catalog/cart.html",
        {"lines": lines, "total": total, "first_product": lines[-1].product if lines else None},
    )


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """Turn the cart into an order: each order line created records a
    Purchase (see catalog/personalize.py), in this transaction."""
    cart = get_cart(request)
    lines = list(cart.lines.select_related("product")) if cart else []
    if not lines:
        messages.error(request, "Your cart is empty.")
        return redirect("cart")
    user = request.user if request.user.is_authenticated else None
    email = (request.POST.get("email") or (user.email if user else "")).strip()
    with transaction.atomic():
        order = Order.objects.create(customer=user, email=email)
        total = Decimal("0")
        for line in lines:
            product = Product.objects.select_for_update().get(pk=line.product_id)
            quantity = min(line.quantity, product.stock)
            if quantity <= 0:
                continue
            OrderLine.objects.create(
                order=order, product=product, quantity=quantity, price=product.price
            )
            product.stock -= quantity
            product.save(
                update_fields=["stock"]
            )  # an item save: the catalogue learns the new availability
            total += product.price * quantity
        order.total = total
        order.save(update_fields=["total"])
        cart.delete()
    if user is None:
        remember_guest_order(request, order)
    messages.success(request, "Thank you! Your order is placed.")
    return redirect(order)


def order_view(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.prefetch_related("lines__product__category"), pk=pk)
    mine = (request.user.is_authenticated and order.customer_id == request.user.pk) or (
        order.customer_id is None and pk in request.session.get("shop_guest_orders", [])
    )
    if not mine:
        raise Http404("no such order")
    return render(request, "catalog/order.html", {"order": order})


# -- accounts ----------------------------------------------------------------
def signup(request: HttpRequest) -> HttpResponse:
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome, {user.username}! Your browsing history is now part of your account."
        )
        return redirect("account")
    return render(request, "registration/signup.html", {"form": form})


def account(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={reverse('account')}")
    orders = Order.objects.filter(customer=request.user).prefetch_related("lines__product")[:10]
    recent_ids = request.session.get(SESSION_RECENT, [])
    recent = {p.pk: p for p in products().filter(pk__in=recent_ids)}
    return render(
        request,
        "catalog/account.html",
        {"orders": orders, "recently_viewed": [recent[pk] for pk in recent_ids if pk in recent]},
    )


def spa(request: HttpRequest) -> HttpResponse:
    """The single-page view: static JavaScript over the REST API."""
    return render(request, "catalog/spa.html", {})
