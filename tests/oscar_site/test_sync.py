"""personalize_sync on an Oscar shop: each chunk of products is read with
its stock records, variants and categories in a few queries, not a few
queries per product."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from personalize_django.models import OutboxEvent
from tests.oscar_site.conftest import outbox

pytestmark = pytest.mark.django_db


def sync() -> tuple[int, str]:
    out = StringIO()
    with CaptureQueriesContext(connection) as captured:
        call_command("personalize_sync", "--items", "--no-progress", stdout=out)
    return len(captured), out.getvalue().strip()


def add_products(catalogue, count: int) -> None:
    Product = get_model("catalogue", "Product")
    ProductCategory = get_model("catalogue", "ProductCategory")
    StockRecord = get_model("partner", "StockRecord")
    for n in range(count):
        product = Product.objects.create(title=f"A lamp {n}", product_class=catalogue["kind"])
        ProductCategory.objects.create(product=product, category=catalogue["clothing"])
        StockRecord.objects.create(
            product=product, partner=catalogue["partner"], partner_sku=f"lamp-{n}",
            price=Decimal("8.00"), num_in_stock=2,
        )


def test_sync_queries_do_not_grow_with_the_products(catalogue):
    before, said = sync()
    assert said == "Queued 9 Products."
    add_products(catalogue, 6)
    after, said = sync()
    assert said == "Queued 15 Products."
    assert after == before


def test_sync_sends_the_same_records_as_the_saves(catalogue):
    def last_rows() -> dict[str, dict]:
        return {row["item_id"]: row["properties"] for row in outbox("item")}

    saved = last_rows()  # the rows the catalogue's own saves queued
    OutboxEvent.objects.all().delete()
    sync()
    assert last_rows() == saved
    novel = last_rows()[str(catalogue["novel"].pk)]
    assert (novel["categories"], novel["price"]) == ("Books > Fiction", 12.0)
