"""The adapter alone registers Oscar's models, with Oscar's categories,
strategy prices and availability."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from oscar.core.loading import get_model

from personalize_django.registry import registry
from tests.oscar_site.conftest import outbox

pytestmark = pytest.mark.django_db


def test_the_adapter_alone_registers_products_users_and_events():
    Product = get_model("catalogue", "Product")
    assert set(registry.items) == {Product}
    assert set(registry.users) == {get_user_model()}
    assert {m._meta.label for m in registry.events} == {
        "basket.Line", "order.Line", "analytics.UserProductView",
    }
    assert {m._meta.label for m in registry.dependencies} == {
        "partner.StockRecord", "catalogue.ProductCategory",
    }


def test_the_registrations_pass_the_checks():
    messages = checks.run_checks(tags=["personalize"])
    assert [m.id for m in messages if m.id.startswith("personalize.E")] == []
    assert "personalize.W004" not in [m.id for m in messages]


def test_a_product_is_sent_with_its_category_tree_price_currency_and_time(catalogue):
    novel = catalogue["novel"]
    [row] = [p for p in outbox("item") if p["item_id"] == str(novel.pk)]
    assert row["properties"] == {
        "categoryL1": "Books",
        "categoryL2": "Fiction",
        "categories": "Books > Fiction",
        "price": 12.0,
        "currency": "EUR",
        "creationTimestamp": int(novel.date_created.timestamp()),
        "available": "True",
    }


def test_variants_are_not_items_and_their_parent_is(catalogue):
    ids = {p["item_id"] for p in outbox("item")}
    assert str(catalogue["shirt"].pk) in ids
    assert str(catalogue["shirt_small"].pk) not in ids
    [shirt] = [p for p in outbox("item") if p["item_id"] == str(catalogue["shirt"].pk)]
    assert shirt["properties"]["available"] == "True"  # its variant is in stock
    assert shirt["properties"]["price"] == 15.0


def test_an_unpublished_product_is_sent_unavailable(catalogue):
    atlas = catalogue["atlas"]
    atlas.is_public = False
    atlas.save()
    [row] = [p for p in outbox("item") if p["item_id"] == str(atlas.pk)]
    assert row["properties"]["available"] == "False"


def test_a_deleted_product_is_sent_unavailable_and_a_deleted_variant_not_at_all(catalogue):
    from personalize_django.models import OutboxEvent

    OutboxEvent.objects.filter(kind="item").delete()
    variant, poem = str(catalogue["shirt_small"].pk), str(catalogue["poem"].pk)
    catalogue["shirt_small"].delete()
    catalogue["poem"].delete()
    rows = outbox("item")
    assert variant not in {r["item_id"] for r in rows}
    [poem] = [r for r in rows if r["item_id"] == poem]
    assert poem["properties"]["available"] == "False"


def test_a_stock_change_is_read_afresh_when_the_product_had_its_stock_prefetched(catalogue):
    Product = get_model("catalogue", "Product")
    novel = Product.objects.prefetch_related("stockrecords").get(pk=catalogue["novel"].pk)
    record = novel.stockrecords.all()[0]
    record.product = novel  # the prefetched instance, as a formset would hold it
    record.num_in_stock = 0
    record.save()
    [row] = [p for p in outbox("item") if p["item_id"] == str(novel.pk)]
    assert row["properties"]["available"] == "False"


def test_adding_or_removing_a_category_resends_the_product(catalogue):
    ProductCategory = get_model("catalogue", "ProductCategory")
    atlas = catalogue["atlas"]

    def categories() -> str:
        return [p for p in outbox("item") if p["item_id"] == str(atlas.pk)][-1]["properties"][
            "categories"
        ]

    link = ProductCategory.objects.create(product=atlas, category=catalogue["fiction"])
    assert categories() == "Books|Books > Fiction"
    link.delete()
    assert categories() == "Books"
