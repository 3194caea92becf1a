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


def test_availability_may_depend_on_the_request(saved_registry, rf):
    reg = register_item(Product, available=lambda product, request: request is not None)
    product = Product(pk=1, name="Boot", price=1)
    assert reg.is_available(product, rf.get("/")) is True
    assert reg.is_available(product) is False  # syncing: no request
    assert register_item(Product, available="in_stock").is_available(Product(stock=0)) is False


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"queryset": 3}, "queryset must be a QuerySet or a callable"),
        ({"queryset": Category.objects.all()}, "queryset must be of testapp.Product"),
        ({"currency": 978}, "currency must be an attribute path"),
        ({"depends_on": {"Category": "products"}}, "expected a model class"),
        ({"depends_on": {Category: 3}}, r"depends_on\[Category\] must be an attribute path"),
    ],
)
def test_register_item_validates_its_new_arguments(saved_registry, kwargs, error):
    with pytest.raises(TypeError, match=error):
        register_item(Product, **kwargs)


@pytest.mark.django_db
def test_queryset_limits_the_items(saved_registry, shop):
    reg = register_item(Product, queryset=Product.objects.filter(stock__gt=0))
    assert set(reg.get_queryset()) == {shop["boot"], shop["cap"]}
    assert reg.is_item(shop["sandal"]) is False
    assert register_item(Product).is_item(shop["sandal"]) is True


def test_depends_on_models_are_connected_and_forgotten(saved_registry):
    register_item(Product, depends_on={Category: "products"})
    assert registry.dependencies == {Category: registry.items[Product]}
    assert Category in registry.models()
    register_item(Product)  # re-registering without it drops it
    assert Category not in registry.dependencies


def test_import_only_events_never_fire_on_save(saved_registry):
    reg = register_event(
        Order, event_type="Purchase", item="pk", on="import", timestamp="created_at"
    )
    assert reg.applies(Order(pk=1), True) is False
    assert reg.imports(Order(pk=1)) is True
    assert reg.event_id_for(Order(pk=1), "Purchase") is not None
