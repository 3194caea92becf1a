"""A guest's journey through Oscar's own views: a product page (View), the
basket (AddToCart), Oscar's checkout (Purchase), all in one session; the
stock the order allocates makes the product unavailable."""

from __future__ import annotations

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from tests.oscar_site.conftest import outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def country(db):
    return get_model("address", "Country").objects.create(
        iso_3166_1_a2="FR", name="France", is_shipping_country=True
    )


def checkout(client, email: str = "guest@example.com") -> None:
    """Oscar's checkout as a guest, step by step, the way its pages post."""
    gateway = {"username": email, "options": "anonymous"}
    assert client.post(reverse("checkout:index"), gateway).status_code == 302
    address = {
        "first_name": "Ann", "last_name": "Guest", "line1": "1 rue de la Paix",
        "line4": "Paris", "postcode": "75002", "country": "FR",
    }
    assert client.post(reverse("checkout:shipping-address"), address).status_code == 302
    client.get(reverse("checkout:shipping-method"))  # one method: chosen for us
    client.get(reverse("checkout:payment-method"))
    response = client.post(reverse("checkout:preview"), {"action": "place_order"})
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("checkout:thank-you")
    ), response.content[:2000]


def test_view_basket_and_purchase_share_one_session(client, catalogue, country):
    scarf = catalogue["scarf"]
    assert client.get(scarf.get_absolute_url()).status_code == 200
    client.post(reverse("basket:add", kwargs={"pk": scarf.pk}), {"quantity": 1})
    checkout(client)
    events = outbox()
    assert [(e["event_type"], e["item_id"]) for e in events] == [
        ("View", str(scarf.pk)), ("AddToCart", str(scarf.pk)), ("Purchase", str(scarf.pk)),
    ]
    assert len({e["session_id"] for e in events}) == 1
    assert events[2]["event_value"] == 20.0


def test_a_variant_counts_for_its_parent(client, catalogue, country):
    shirt, small = catalogue["shirt"], catalogue["shirt_small"]
    client.post(reverse("basket:add", kwargs={"pk": small.pk}), {"quantity": 1})
    checkout(client)
    assert [(e["event_type"], e["item_id"]) for e in outbox()] == [
        ("AddToCart", str(shirt.pk)), ("Purchase", str(shirt.pk)),
    ]


def test_the_last_one_in_stock_sold_makes_it_unavailable(client, catalogue, country):
    scarf = catalogue["scarf"]  # one in stock
    client.post(reverse("basket:add", kwargs={"pk": scarf.pk}), {"quantity": 1})
    checkout(client)
    [row] = [p for p in outbox("item") if p["item_id"] == str(scarf.pk)]
    assert row["properties"]["available"] == "False"


def test_a_stock_change_flips_availability(catalogue):
    record = catalogue["novel"].stockrecords.get()
    record.num_in_stock = 0
    record.save()
    [row] = [p for p in outbox("item") if p["item_id"] == str(catalogue["novel"].pk)]
    assert row["properties"]["available"] == "False"
    record.num_in_stock = 4
    record.save()
    [row] = [p for p in outbox("item") if p["item_id"] == str(catalogue["novel"].pk)]
    assert row["properties"]["available"] == "True"


@pytest.mark.parametrize("member", [False, True])
def test_an_order_placed_outside_a_request_is_one_session(catalogue, member):
    # A payment provider's callback, a worker: no shopper's request to take the session from.
    from django.contrib.auth import get_user_model

    Order, Line = get_model("order", "Order"), get_model("order", "Line")
    user = get_user_model().objects.create_user("ann", "ann@example.com", "pw") if member else None
    orders = []
    for number in ("200001", "200002"):
        order = Order.objects.create(
            number=number, user=user, guest_email="" if member else "guest@example.com",
            currency="EUR", total_incl_tax=1, total_excl_tax=1,
        )
        for name in ("novel", "atlas"):
            Line.objects.create(
                order=order, product=catalogue[name], title=name, quantity=1,
                line_price_incl_tax=1, line_price_excl_tax=1,
                line_price_before_discounts_incl_tax=1, line_price_before_discounts_excl_tax=1,
                unit_price_incl_tax=1, unit_price_excl_tax=1, num_allocated=0,
            )
        orders.append(order)
    purchases = [e for e in outbox() if e["event_type"] == "Purchase"]
    assert [e["session_id"] for e in purchases] == [
        f"order.order-{order.pk}" for order in orders for _ in range(2)
    ]
    assert {e.get("user_id") for e in purchases} == {str(user.pk) if member else None}
