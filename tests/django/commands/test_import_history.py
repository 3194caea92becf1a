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


@pytest.fixture
def local_engine(tmp_path, settings):
    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(tmp_path / "engine"), "auto_train": False},
        "DELIVERY": "manual",
    }
    from personalize_django.client import get_client

    return get_client().backend


def test_with_a_bulk_path_the_events_go_straight_into_the_engine(local_engine, history):
    out, _ = run("personalize_import_history", "--no-progress")
    assert out.strip() == "Recorded 4 events; skipped 0 already recorded."
    assert OutboxEvent.objects.filter(kind="event").count() == 0  # the outbox is not involved
    stored = sorted(local_engine.iter_events(), key=lambda e: (e.session_id, e.item_id or ""))
    purchases = [e for e in stored if e.event_type == "Purchase"]
    assert [e.session_id for e in purchases] == (
        [f"testapp.order-{history[0].pk}"] * 2 + [f"testapp.order-{history[1].pk}"]
    )
    assert {e.sent_at for e in purchases} == {PLACED}
    assert {e.user_id for e in purchases} == {str(history[0].customer.pk)}
    # What the outbox's way would have recorded: the same event ids.
    out, _ = run("personalize_import_history", "--no-progress", "--outbox")
    assert out.strip() == "Recorded 4 events; skipped 0 already recorded."
    assert {p["event_id"] for p in outbox_payloads()} == {e.event_id for e in stored}


def test_a_second_bulk_run_records_nothing(local_engine, history):
    run("personalize_import_history", "--no-progress")
    out, _ = run("personalize_import_history", "--no-progress")
    assert out.strip() == "Recorded 0 events; skipped 4 already recorded."
    assert len(list(local_engine.iter_events())) == 4


def test_the_bulk_path_shows_its_progress(local_engine, history):
    _, err = run("personalize_import_history", "--model", "testapp.orderline")
    assert "testapp.OrderLine" in err and "3" in err
    _, quiet = run("personalize_import_history", "--model", "testapp.orderline", "--no-progress")
    assert quiet == ""
