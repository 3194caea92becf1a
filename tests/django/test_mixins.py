"""TrackItemViewMixin on class-based views."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.views import View

from personalize_django.mixins import TrackItemViewMixin
from tests.django.conftest import outbox_payloads

pytestmark = pytest.mark.django_db


def test_detail_view_records_a_view_of_its_object(client, shop):
    response = client.get(f"/cbv/products/{shop['sandal'].pk}/")
    assert response.status_code == 200
    (event,) = outbox_payloads()
    assert (event["event_type"], event["item_id"]) == ("View", str(shop["sandal"].pk))


def test_missing_object_records_nothing(client, db):
    assert client.get("/cbv/products/424242/").status_code == 404
    assert outbox_payloads() == []


def test_event_type_can_be_set_on_the_class(client, shop):
    client.get(f"/cbv/quicklook/{shop['cap'].pk}/")
    assert outbox_payloads()[0]["event_type"] == "QuickLook"


def test_tracked_item_and_properties_can_be_overridden():
    class Page(TrackItemViewMixin, View):
        def get(self, request):
            return HttpResponse("hi")

        def get_tracked_item(self):
            return "sku-1"

        def get_tracked_properties(self):
            return {"placement": "home"}

    request = RequestFactory().get("/")
    request.session = {}
    Page.as_view()(request)
    Page.as_view()(RequestFactory().post("/"))
    (event,) = outbox_payloads()
    assert (event["item_id"], event["properties"]) == ("sku-1", {"placement": "home"})


def test_a_view_without_an_item_records_nothing():
    class Page(TrackItemViewMixin, View):
        def get(self, request):
            return HttpResponse("hi")

    request = RequestFactory().get("/")
    request.session = {}
    Page.as_view()(request)
    assert outbox_payloads() == []
