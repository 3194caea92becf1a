"""Registration: specs, property encoding, records, autodiscovery, validation."""

from __future__ import annotations

import datetime
import decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from personalize_django.registry import (
    property_key,
    property_value,
    register_event,
    register_item,
    register_user,
    registry,
    resolve,
    unregister,
)
from tests.django.testapp.models import CartLine, Category, Order, OrderLine, Product


def test_autodiscovery_registered_the_test_app():
    assert set(registry.items) == {Product}
    assert set(registry.users) == {get_user_model()}
    assert [r.event_type for r in registry.events[OrderLine]] == ["Purchase"]
    assert [r.event_type for r in registry.events[CartLine]] == ["AddToCart"]


def test_package_exposes_the_api_lazily():
    import personalize_django as personalize

    assert personalize.register_item is register_item
    with pytest.raises(AttributeError):
        personalize.not_a_name  # noqa: B018


@pytest.mark.parametrize(
    "column, key",
    [
        ("CATEGORY_L1", "categoryL1"),
        ("PRICE", "price"),
        ("CREATION_TIMESTAMP", "creationTimestamp"),
        ("brand", "brand"),
    ],
)
def test_property_keys_are_camel_cased(column, key):
    assert property_key(column) == key


@pytest.mark.parametrize(
    "value, expected",
    [
        (True, "True"),
        (False, "False"),
        (decimal.Decimal("9.90"), 9.9),
        (datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc), 1704153600),
        (datetime.date(2024, 1, 2), "2024-01-02"),
        (["red", "blue"], "red|blue"),
        (3, 3),
        (None, None),
    ],
)
def test_property_values_are_encoded_for_personalize(value, expected):
    assert property_value(value) == expected


def test_resolve_follows_dots_and_double_underscores():
    product = Product(name="Boot", price=decimal.Decimal("5"), category=Category(name="Shoes"))
    assert resolve(product, "category.name") == "Shoes"
    assert resolve(product, "category__name") == "Shoes"
    assert resolve(product, lambda p: p.name.upper()) == "BOOT"
    assert resolve(product, "get_deferred_fields") == set()  # a method at the end is called
    assert resolve(Product(name="x", price=1), "category_id") is None


def test_item_record_with_properties_and_availability():
    reg = registry.items[Product]
    product = Product(
        pk=7, name="Boot", price=decimal.Decimal("79.90"), stock=0, category=Category(name="Shoes")
    )
    item = reg.to_item(product)
    assert item.item_id == "7"
    assert item.properties == {"categoryL1": "Shoes", "price": 79.9, "available": "False"}
    assert reg.to_item(product, deleted=True).properties["available"] == "False"
    product.stock = 3
    assert reg.to_item(product).properties["available"] == "True"


def test_callable_properties_and_id_field(saved_registry):
    unregister(Product)
    reg = register_item(
        Product, id_field=lambda p: f"sku-{p.pk}", properties=lambda p: {"PRICE": p.price}
    )
    item = reg.to_item(Product(pk=3, name="Cap", price=decimal.Decimal("2.50")))
    assert item.item_id == "sku-3"
    assert item.properties == {"price": 2.5}  # no availability declared: no AVAILABLE property


def test_a_second_item_model_is_refused():
    with pytest.raises(ImproperlyConfigured, match="testapp.Product already is"):
        register_item(Category)


def test_re_registering_the_same_model_replaces(saved_registry):
    register_item(Product, properties={"PRICE": "price"})
    assert registry.items[Product].available is None


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"event_type": "", "item": "product"}, TypeError),
        ({"event_type": "X", "item": None}, TypeError),
        ({"event_type": "X", "item": "product", "user": 3}, TypeError),
        ({"event_type": "X", "item": "product", "on": "delete"}, ValueError),
        ({"event_type": "X", "item": "product", "when": "yes"}, TypeError),
    ],
)
def test_register_event_validates_its_arguments(kwargs, error):
    with pytest.raises(error):
        register_event(CartLine, **kwargs)


def test_register_needs_a_model():
    with pytest.raises(TypeError, match="expected a model class"):
        register_user(object)
    with pytest.raises(TypeError, match="properties must be"):
        register_item(Product, properties=["PRICE"])


@pytest.mark.django_db
def test_registering_connects_and_unregistering_disconnects(saved_registry):
    from personalize_django.models import OutboxEvent

    register_event(Order, event_type="Checkout", item=lambda o: "basket", user=lambda o: "u1")
    Order.objects.create()
    assert OutboxEvent.objects.filter(kind="event").count() == 1
    unregister(Order)
    assert Order not in registry.events
    Order.objects.create()
    assert OutboxEvent.objects.filter(kind="event").count() == 1


def test_create_events_have_deterministic_ids():
    reg = registry.events[OrderLine][0]
    line = OrderLine(pk=12)
    assert reg.event_id_for(line, "Purchase") == reg.event_id_for(OrderLine(pk=12), "Purchase")
    assert reg.event_id_for(line, "Purchase") != reg.event_id_for(OrderLine(pk=13), "Purchase")
