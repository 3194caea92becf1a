"""Finding the shopper's cart, and what happens to a guest's cart and orders at login."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from .models import Cart, CartLine, Order

SESSION_CART = "shop_cart_id"
SESSION_ORDERS = "shop_guest_orders"
SESSION_RECENT = "shop_recently_viewed"
RECENT_LIMIT = 12


def get_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The cart of the logged-in user, or of the guest's session."""
    if request.user.is_authenticated:
        cart = Cart.objects.filter(user=request.user).first()
        if cart is None and create:
            cart = Cart.objects.create(user=request.user)
        return cart
    cart_id = request.session.get(SESSION_CART)
    cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        request.session[SESSION_CART] = cart.pk
    return cart


def remember_view(request: HttpRequest, product_id: int) -> None:
    """Keep the last products seen in the session (it survives login)."""
    recent = [pk for pk in request.session.get(SESSION_RECENT, []) if pk != product_id]
    request.session[SESSION_RECENT] = [product_id, *recent][:RECENT_LIMIT]


def remember_guest_order(request: HttpRequest, order: Order) -> None:
    request.session[SESSION_ORDERS] = [*request.session.get(SESSION_ORDERS, []), order.pk]


@transaction.atomic
def join_guest_history(request: HttpRequest, user) -> None:
    """At login: the guest's cart and orders become the user's.

    (The guest's *events* are joined by personalize_django itself: the session
    id survives login, and it records a Login event carrying both ids.)"""
    order_ids = request.session.pop(SESSION_ORDERS, [])
    if order_ids:
        Order.objects.filter(pk__in=order_ids, customer__isnull=True).update(customer=user)
    cart_id = request.session.pop(SESSION_CART, None)
    guest = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if guest is None:
        return
    mine = Cart.objects.filter(user=user).first()
    if mine is None:
        guest.user = user
        guest.save(update_fields=["user"])
        return
    have = set(mine.lines.values_list("product_id", flat=True))
    for line in guest.lines.all():
        if line.product_id in have:
            CartLine.objects.filter(cart=mine, product_id=line.product_id).update(
                quantity=line.quantity
            )
        else:
            # Moving the line is not a new AddToCart: update, not create.
            CartLine.objects.filter(pk=line.pk).update(cart=mine)
    guest.delete()
