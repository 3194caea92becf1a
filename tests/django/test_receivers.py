"""Saves and deletes of registered models reach the outbox, in the same transaction."""

from __future__ import annotations

import decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from personalize_django.models import OutboxEvent
from tests.django.conftest import outbox_payloads
from tests.django.testapp.models import CartLine, Order, OrderLine, Product

pytestmark = pytest.mark.django_db


def test_saving_an_item_queues_it(shop):
    items = outbox_payloads("item")
    assert items[0] == {
        "item_id": str(shop["boot"].pk),
        "properties": {"available": "True", "categoryL1": "Shoes", "price": "79.90"},
    }
    assert [p["properties"]["available"] for p in items] == ["True", "False", "True"]


def test_an_item_made_unavailable_is_queued_unavailable(shop):
    boot = Product.objects.get(pk=shop["boot"].pk)
    boot.stock = 0
    boot.save()
    # One row per item per transaction: the boot's row now says unavailable.
    [row] = [p for p in outbox_payloads("item") if p["item_id"] == str(boot.pk)]
    assert row["properties"] == {"available": "False", "categoryL1": "Shoes", "price": 79.9}


def test_a_deleted_item_is_queued_unavailable(shop):
    pk = shop["cap"].pk
    Product.objects.get(pk=pk).delete()
    last = outbox_payloads("item")[-1]
    assert last == {
        "item_id": str(pk),
        "properties": {"available": "False", "categoryL1": "Hats", "price": 12.5},
    }


def test_cascade_delete_of_a_category_queues_its_items(shop):
    OutboxEvent.objects.all().delete()
    shop["boot"].category.delete()
    assert sorted(p["item_id"] for p in outbox_payloads("item")) == sorted(
        [str(shop["boot"].pk), str(shop["sandal"].pk)]
    )
    assert {p["properties"]["available"] for p in outbox_payloads("item")} == {"False"}


def test_saving_a_user_queues_it_but_not_a_login_timestamp():
    user = get_user_model().objects.create_user("ann", password="pw")
    assert outbox_payloads("user") == [{"user_id": str(user.pk), "properties": {"username": "ann"}}]
    user.last_login = user.date_joined
    user.save(update_fields=["last_login"])
    assert len(outbox_payloads("user")) == 1


def test_raw_saves_are_skipped(shop):
    before = OutboxEvent.objects.count()
    from django.db.models.signals import post_save

    post_save.send(
        sender=Product,
        instance=shop["boot"],
        created=False,
        raw=True,
        using="default",
        update_fields=None,
    )
    assert OutboxEvent.objects.count() == before


def test_an_order_line_records_a_purchase_with_its_price(shop):
    user = get_user_model().objects.create_user("bob")
    order = Order.objects.create(customer=user)
    line = OrderLine.objects.create(
        order=order, product=shop["boot"], price=decimal.Decimal("79.90")
    )
    (event,) = outbox_payloads("event")
    assert event["event_type"] == "Purchase"
    assert event["item_id"] == str(shop["boot"].pk)
    assert event["user_id"] == str(user.pk)
    assert event["event_value"] == 79.9
    assert event["session_id"] == f"user-{user.pk}"  # no request: derived from the user
    line.quantity = 2
    line.save()  # on="create": an update records nothing more
    assert len(outbox_payloads("event")) == 1


def test_a_guest_order_line_outside_a_request_still_counts(shop):
    line = OrderLine.objects.create(
        order=Order.objects.create(), product=shop["cap"], price="12.50"
    )
    (event,) = outbox_payloads("event")
    assert event["session_id"] == f"testapp.orderline-{line.pk}"
    assert "user_id" not in event


def test_a_cart_line_records_add_to_cart(shop):
    user = get_user_model().objects.create_user("cy")
    CartLine.objects.create(user=user, product=shop["cap"])
    (event,) = outbox_payloads("event")
    assert (event["event_type"], event["item_id"], event["user_id"]) == (
        "AddToCart",
        str(shop["cap"].pk),
        str(user.pk),
    )


def test_a_rolled_back_save_queues_nothing(shop):
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            OrderLine.objects.create(order=Order.objects.create(), product=shop["boot"], price="1")
            Product.objects.filter(pk=shop["boot"].pk).get().save()
            raise RuntimeError("payment declined")
    assert OutboxEvent.objects.count() == before


def test_nothing_is_queued_when_disabled(shop):
    before = OutboxEvent.objects.count()
    with override_settings(PERSONALIZE={"BACKEND": "memory", "ENABLED": False}):
        OrderLine.objects.create(order=Order.objects.create(), product=shop["boot"], price="1")
        shop["boot"].delete()
    assert OutboxEvent.objects.count() == before


def test_bad_data_is_logged_not_raised(shop, saved_registry, caplog):
    from personalize_django.registry import register_event, unregister

    unregister(CartLine)
    register_event(CartLine, event_type="AddToCart", item=lambda line: "x" * 300, user="user")
    CartLine.objects.create(product=shop["boot"])  # the save succeeds
    assert outbox_payloads("event") == []
    assert "not recording AddToCart" in caplog.text


def test_one_row_per_item_per_transaction_with_its_dependencies(saved_registry, shop):
    from personalize_django.registry import register_item
    from tests.django.testapp.models import Category

    register_item(
        Product,
        properties={"CATEGORY_L1": "category.name", "PRICE": "price"},
        depends_on={Category: "products"},
    )
    with transaction.atomic():
        hats = Category.objects.get(name="Hats")
        beanie = Product.objects.create(category=hats, name="Beanie", slug="beanie", price="9")
        hats.name = "Headwear"
        hats.save()  # after the product: the product's row learns the new name
    ids = [str(beanie.pk), str(shop["cap"].pk)]
    rows = [p for p in outbox_payloads("item") if p["item_id"] in ids]
    assert sorted(r["item_id"] for r in rows) == sorted(ids)
    assert [r["properties"]["categoryL1"] for r in rows] == ["Headwear", "Headwear"]


def test_deleting_a_dependency_resends_the_item_without_it(saved_registry, shop):
    from personalize_django.registry import register_item

    register_item(
        Product,
        properties={"CARTS": lambda p: p.cartline_set.count()},
        depends_on={CartLine: "product"},
    )
    line = CartLine.objects.create(product=shop["boot"])
    [row] = [p for p in outbox_payloads("item") if p["item_id"] == str(shop["boot"].pk)]
    assert row["properties"] == {"carts": 1}
    line.delete()
    [row] = [p for p in outbox_payloads("item") if p["item_id"] == str(shop["boot"].pk)]
    assert row["properties"] == {"carts": 0}


def test_autocommit_saves_each_send_a_row(saved_registry, transactional_db):
    from tests.django.testapp.models import Category

    shoes = Category.objects.create(name="Shoes")
    boot = Product.objects.create(category=shoes, name="Boot", slug="b", price="1.00")
    boot.price = decimal.Decimal("2.00")
    boot.save()
    prices = [p["properties"]["price"] for p in outbox_payloads("item")]
    assert prices == ["1.00", 2.0]


def test_rows_outside_the_queryset_are_not_items(saved_registry, shop):
    from personalize_django.registry import register_item

    register_item(Product, queryset=lambda request: Product.objects.filter(stock__gt=0))
    OutboxEvent.objects.all().delete()
    shop["sandal"].save()  # stock 0: not an item
    shop["cap"].save()
    assert [p["item_id"] for p in outbox_payloads("item")] == [str(shop["cap"].pk)]


def test_resync_sends_an_item_again(saved_registry, shop):
    from personalize_django.receivers import resync

    OutboxEvent.objects.all().delete()
    Product.objects.filter(pk=shop["cap"].pk).update(price="99.00")  # no signal
    cap = Product.objects.get(pk=shop["cap"].pk)
    assert resync(cap) == 1
    assert outbox_payloads("item")[-1]["properties"]["price"] == 99.0
    with pytest.raises(TypeError, match="registered item model"):
        resync(shop["cap"].category)


def test_currency_is_sent_with_price(saved_registry, shop):
    from personalize_django.registry import register_item

    register_item(Product, properties={"PRICE": "price"}, currency="EUR")
    Product.objects.get(pk=shop["cap"].pk).save()
    assert outbox_payloads("item")[-1]["properties"] == {"price": 12.5, "currency": "EUR"}


def test_order_lines_outside_a_request_share_the_orders_session(saved_registry, shop):
    from personalize_django.registry import register_event, unregister

    unregister(OrderLine)
    register_event(
        OrderLine, event_type="Purchase", user="order.customer", item="product",
        fallback_session="order",
    )
    user = get_user_model().objects.create(username="ann")
    first, second = Order.objects.create(customer=user), Order.objects.create(customer=user)
    for order in (first, first, second):
        OrderLine.objects.create(order=order, product=shop["boot"], price="1.00")
    sessions = [p["session_id"] for p in outbox_payloads("event")]
    assert sessions == [f"testapp.order-{first.pk}"] * 2 + [f"testapp.order-{second.pk}"]


def test_a_deleted_item_stays_unavailable_through_its_cascade(saved_registry, shop):
    from personalize_django.registry import register_item

    register_item(Product, available="in_stock", depends_on={CartLine: "product"})
    CartLine.objects.create(product=shop["boot"])  # deleted by the cascade, before the boot
    pk = str(shop["boot"].pk)
    shop["boot"].delete()
    [row] = [p for p in outbox_payloads("item") if p["item_id"] == pk]
    assert row["properties"] == {"available": "False"}


def test_each_committed_transaction_sends_its_own_row(saved_registry, transactional_db):
    from personalize_django.registry import register_item
    from tests.django.testapp.models import Category

    register_item(Product, properties={"CATEGORY_L1": "category.name"},
                  depends_on={Category: "products"})
    with transaction.atomic():
        shoes = Category.objects.create(name="Shoes")
        boot = Product.objects.create(category=shoes, name="Boot", slug="b", price="1.00")
        shoes.name = "Boots"
        shoes.save()
    with transaction.atomic():
        shoes.name = "Footwear"
        shoes.save()
    with pytest.raises(RuntimeError), transaction.atomic():
        shoes.name = "Rolled back"
        shoes.save()
        raise RuntimeError
    rows = [p for p in outbox_payloads("item") if p["item_id"] == str(boot.pk)]
    assert [r["properties"]["categoryL1"] for r in rows] == ["Boots", "Footwear"]
