"""@track_item_view on function views."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from personalize_django.decorators import track_item_view
from tests.django.conftest import outbox_payloads
from tests.django.settings import MIDDLEWARE

pytestmark = pytest.mark.django_db


def views():
    return [p for p in outbox_payloads("event") if p["event_type"] == "View"]


def test_a_successful_get_records_a_view(client, shop):
    response = client.get(f"/products/{shop['boot'].pk}/")
    assert response.status_code == 200
    (event,) = views()
    assert event["item_id"] == str(shop["boot"].pk)
    assert "user_id" not in event
    assert len(event["session_id"]) == 32
    assert event["session_id"] == client.session["_personalize_session_id"]


def test_a_logged_in_user_is_recorded(client, shop):
    user = get_user_model().objects.create_user("eve", password="pw")
    client.force_login(user)
    client.get(f"/products/{shop['cap'].pk}/")
    assert views()[0]["user_id"] == str(user.pk)


def test_the_session_id_is_stable_across_pages(client, shop):
    for product in shop.values():
        client.get(f"/products/{product.pk}/")
    assert len({e["session_id"] for e in views()}) == 1


def test_an_error_response_records_nothing(client, shop):
    assert client.get("/products/999999/").status_code == 404
    assert client.get(f"/products/{shop['boot'].pk}/gone/").status_code == 404
    assert views() == []


def test_other_methods_record_nothing(client, shop):
    client.head(f"/products/{shop['boot'].pk}/")
    client.post(f"/products/{shop['boot'].pk}/")
    assert views() == []


def test_lookup_by_slug_finds_the_item(client, shop, django_assert_num_queries):
    client.get("/products/by-slug/cap/")
    assert views()[0]["item_id"] == str(shop["cap"].pk)


def test_a_getter_chooses_the_item(client, db):
    client.get("/products/by-sku/?sku=SKU-9")
    client.get("/products/by-sku/")  # the getter returns None: nothing recorded
    assert [e["item_id"] for e in views()] == ["SKU-9"]


def test_no_consent_records_nothing(client, shop):
    with override_settings(
        PERSONALIZE={"BACKEND": "memory", "CONSENT": lambda request: "ok" in request.COOKIES}
    ):
        client.get(f"/products/{shop['boot'].pk}/")
        assert views() == []
        client.cookies["ok"] = "1"
        client.get(f"/products/{shop['boot'].pk}/")
        assert len(views()) == 1


def test_custom_event_type():
    @track_item_view(lambda request: "7", event_type="QuickLook")
    def view(request):
        from django.http import HttpResponse

        return HttpResponse()

    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = {}
    view(request)
    assert outbox_payloads()[0]["event_type"] == "QuickLook"


def test_without_sessions_a_signed_cookie_keeps_the_id(client, shop):
    middleware = [
        m
        for m in MIDDLEWARE
        if "session" not in m.lower() and "auth" not in m and "messages" not in m
    ]
    with override_settings(MIDDLEWARE=middleware):
        first = client.get(f"/products/{shop['boot'].pk}/")
        assert "personalize_sid" in first.cookies
        client.get(f"/products/{shop['cap'].pk}/")
        second = client.get(f"/products/{shop['cap'].pk}/")
        assert "personalize_sid" not in second.cookies  # set once
    sessions = {e["session_id"] for e in views()}
    assert len(sessions) == 1
    client.cookies["personalize_sid"] = "forged"
    with override_settings(MIDDLEWARE=middleware):
        client.get(f"/products/{shop['boot'].pk}/")
    assert views()[-1]["session_id"] not in ("forged", *sessions)  # a bad signature is ignored


def test_the_decorator_needs_a_model_or_callable():
    with pytest.raises(TypeError):
        track_item_view("Product")
