"""personalize_import_history: past rows of the event models become events, once."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from personalize_django.models import OutboxEvent
from personalize_django.registry import register_event, unregister
from tests.django.commands.conftest import run
from tests.django.conftest import outbox_payloads
from tests.django.testapp.models import CartLine, Order, OrderLine

pytestmark = pytest.mark.django_db

PLACED = datetime(2024, 2, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def history(shop, saved_registry):
    """Two past orders of one customer and a guest's cart line, recorded
    before personalize was installed (their outbox rows are gone)."""
    unregister(OrderLine)
    register_event(
        OrderLine, event_type="Purchase", user="order.customer", item="product", value="price",
        fallback_session="order", timestamp="order.created_at",
    )
    ann = get_user_model().objects.create(username="ann")
    orders = [Order.objects.create(customer=ann) for _ in range(2)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(created_at=PLACED)
    for order, products in zip(orders, [("boot", "cap"), ("sandal",)]):
        for name in products:
            OrderLine.objects.create(order=order, product=shop[name], price="1.00")
    CartLine.objects.create(product=shop["cap"])
    OutboxEvent.objects.filter(kind="event").delete()
    return orders


def test_records_every_past_row_with_its_time_and_order_session(history):
    out, _ = run("personalize_import_history", "--no-progress")
    assert out.strip() == "Recorded 4 events; skipped 0 already recorded."
    purchases = [p for p in outbox_payloads() if p["event_type"] == "Purchase"]
    assert [p["session_id"] for p in purchases] == (
        [f"testapp.order-{history[0].pk}"] * 2 + [f"testapp.order-{history[1].pk}"]
    )
    assert {p["sent_at"] for p in purchases} == {PLACED.isoformat()}


def test_a_second_run_records_nothing(history):
    run("personalize_import_history", "--no-progress")
    out, _ = run("personalize_import_history", "--no-progress")
    assert out.strip() == "Recorded 0 events; skipped 4 already recorded."
    assert OutboxEvent.objects.filter(kind="event").count() == 4


def test_rows_recorded_live_are_skipped(history, shop):
    OrderLine.objects.create(order=history[0], product=shop["cap"], price="2.00")
    assert OutboxEvent.objects.filter(kind="event").count() == 1  # the live save
    out, _ = run("personalize_import_history", "--no-progress", "--model", "testapp.orderline")
    assert out.strip() == "Recorded 3 events; skipped 1 already recorded."


def test_unknown_model_is_refused_naming_the_option(history):
    with pytest.raises(CommandError, match=r"--model: 'testapp.order' has no register_event"):
        run("personalize_import_history", "--model", "testapp.order")
    with pytest.raises(CommandError, match="--chunk-size must be at least 1"):
        run("personalize_import_history", "--chunk-size", "0")
