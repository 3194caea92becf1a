"""A product created in Oscar's own dashboard reaches the backend with its
price and category, though Oscar saves the product before both."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from oscar.core.loading import get_model

from tests.oscar_site.conftest import backend_items, outbox
from tests.oscar_site.forms import form_values

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("atomic_requests", [True, False])
def test_a_product_created_in_the_dashboard_reaches_the_backend(
    client, catalogue, backend, monkeypatch, atomic_requests
):
    from django.db import connection

    # Oscar recommends ATOMIC_REQUESTS: the dashboard's saves are then one transaction.
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", atomic_requests)
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    url = reverse(
        "dashboard:catalogue-product-create",
        kwargs={"product_class_slug": catalogue["kind"].slug},
    )
    data = form_values(client.get(url).content.decode(), "create_update_product_form")
    data.update({
        "title": "A dashboard lamp",
        "structure": "standalone",
        "is_public": "on",
        "stockrecords-0-partner": str(catalogue["partner"].pk),
        "stockrecords-0-partner_sku": "lamp-1",
        "stockrecords-0-price": "42.00",
        "stockrecords-0-num_in_stock": "3",
        "productcategory_set-0-category": str(catalogue["books"].pk),
    })
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    lamp = get_model("catalogue", "Product").objects.get(title="A dashboard lamp")
    sent = backend_items(backend)[str(lamp.pk)]
    assert sent["price"] == 42.0
    assert sent["categoryL1"] == "Books"
    assert sent["available"] == "True"
    rows = [row["properties"] for row in outbox("item") if row["item_id"] == str(lamp.pk)]
    if atomic_requests:  # one row, written after the stock record and category saves
        assert len(rows) == 1
    else:  # each save its own transaction: the product, its category, its stock record
        assert [("categoryL1" in r, "price" in r) for r in rows] == [
            (False, False), (True, False), (True, True),
        ]


def test_a_price_edited_in_the_dashboard_is_sent_with_the_edit(client, catalogue, backend):
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    novel = catalogue["novel"]
    url = reverse("dashboard:catalogue-product", kwargs={"pk": novel.pk})
    data = form_values(client.get(url).content.decode(), "create_update_product_form")
    assert data["stockrecords-0-price"] == "12.00"
    for price in ("14.50", "9.00"):
        data["stockrecords-0-price"] = price
        response = client.post(url, data)
        assert response.status_code == 302, _errors(response)
        assert backend_items(backend)[str(novel.pk)]["price"] == float(price)


def _errors(response):
    """What the dashboard complained about (for the assertion's message)."""
    found = {}
    for name in ("form", "stockrecord_formset", "category_formset", "image_formset",
                 "recommended_formset", "attribute_option_formset"):
        value = response.context.get(name) if response.context else None
        if value is None:
            continue
        errors = [e for e in getattr(value, "errors", []) if e]
        non_form = value.non_form_errors() if hasattr(value, "non_form_errors") else None
        if errors or non_form:
            found[name] = (errors, non_form)
    return found
