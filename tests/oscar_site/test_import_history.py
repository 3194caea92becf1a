"""personalize_import_history on an Oscar shop with orders placed before
the adapter was installed: one session per order, a second run records 0."""

from __future__ import annotations

from datetime import datetime, timezone
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from oscar.core.loading import get_model

from personalize_django.models import OutboxEvent
from tests.oscar_site.conftest import outbox

pytestmark = pytest.mark.django_db

PLACED = datetime(2024, 5, 1, 9, tzinfo=timezone.utc)


def run() -> str:
    out = StringIO()
    call_command("personalize_import_history", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.fixture
def past_orders(catalogue):
    Order, Line = get_model("order", "Order"), get_model("order", "Line")
    UserProductView = get_model("analytics", "UserProductView")
    ann = get_user_model().objects.create_user("ann", "ann@example.com", "pw")
    orders = []
    for number, products in (("100001", ("novel", "atlas")), ("100002", ("shirt_small",))):
        order = Order.objects.create(
            number=number, user=ann, currency="EUR", total_incl_tax=1, total_excl_tax=1,
            date_placed=PLACED,
        )
        for name in products:
            product = catalogue[name]
            Line.objects.create(
                order=order, product=product, title=product.get_title(), quantity=1,
                line_price_incl_tax=1, line_price_excl_tax=1,
                line_price_before_discounts_incl_tax=1, line_price_before_discounts_excl_tax=1,
                unit_price_incl_tax=1, unit_price_excl_tax=1, num_allocated=0,
            )
        orders.append(order)
    UserProductView.objects.create(user=ann, product=catalogue["poem"])
    OutboxEvent.objects.filter(kind="event").delete()  # recorded before the adapter
    return orders


def test_past_orders_and_views_are_imported_once(past_orders, catalogue):
    assert run() == "Recorded 4 events; skipped 0 already recorded."
    purchases = [e for e in outbox() if e["event_type"] == "Purchase"]
    assert [e["session_id"] for e in purchases] == [
        f"order.order-{past_orders[0].pk}"] * 2 + [f"order.order-{past_orders[1].pk}"]
    assert purchases[2]["item_id"] == str(catalogue["shirt"].pk)  # the variant's parent
    assert {e["sent_at"] for e in purchases} == {PLACED.isoformat()}
    [view] = [e for e in outbox() if e["event_type"] == "View"]
    assert view["item_id"] == str(catalogue["poem"].pk)
    assert run() == "Recorded 0 events; skipped 4 already recorded."


def test_past_basket_lines_are_imported_in_their_baskets_session(catalogue):
    Basket = get_model("basket", "Basket")
    ann = get_user_model().objects.create_user("ann", "ann@example.com", "pw")
    basket = Basket.objects.create(owner=ann)
    for name in ("mug", "shirt_small"):
        basket.lines.create(
            product=catalogue[name], stockrecord=catalogue[name].stockrecords.get(),
            line_reference=f"line-{name}", quantity=1, price_currency="EUR",
        )
    OutboxEvent.objects.filter(kind="event").delete()  # recorded before the adapter
    assert run() == "Recorded 2 events; skipped 0 already recorded."
    carts = [e for e in outbox() if e["event_type"] == "AddToCart"]
    assert [e["item_id"] for e in carts] == [str(catalogue["mug"].pk), str(catalogue["shirt"].pk)]
    assert {e["session_id"] for e in carts} == {f"basket.basket-{basket.pk}"}
    assert {e["user_id"] for e in carts} == {str(ann.pk)}
    assert run() == "Recorded 0 events; skipped 2 already recorded."
