"""Session ids across login and logout, and the join of a guest's history."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from tests.django.conftest import outbox_payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return get_user_model().objects.create_user("ann", password="pw")


def test_a_guests_history_joins_the_user_at_login(client, shop, ann):
    client.get(f"/products/{shop['boot'].pk}/")
    client.get(f"/products/{shop['cap'].pk}/")
    guest_session = client.session["_personalize_session_id"]
    django_key_before = client.session.session_key

    client.get("/login/?u=ann")
    assert client.session.session_key != django_key_before  # Django cycled its key...
    assert client.session["_personalize_session_id"] == guest_session  # ...ours survived

    client.get(f"/products/{shop['sandal'].pk}/")
    events = [(e["event_type"], e["session_id"], e.get("user_id")) for e in outbox_payloads()]
    assert events == [
        ("View", guest_session, None),
        ("View", guest_session, None),
        ("Login", guest_session, str(ann.pk)),  # one event carrying both ids joins them
        ("View", guest_session, str(ann.pk)),
    ]


def test_no_join_event_without_guest_activity(client, ann, shop):
    client.get("/login/?u=ann")
    client.get(f"/products/{shop['boot'].pk}/")
    assert [e["event_type"] for e in outbox_payloads()] == ["View"]


def test_the_join_event_can_be_turned_off(client, shop, ann):
    with override_settings(PERSONALIZE={"BACKEND": "memory", "LOGIN_EVENT_TYPE": None}):
        client.get(f"/products/{shop['boot'].pk}/")
        client.get("/login/?u=ann")
    assert [e["event_type"] for e in outbox_payloads()] == ["View"]


def test_logout_starts_a_new_session(client, shop, ann):
    client.get("/login/?u=ann")
    client.get(f"/products/{shop['boot'].pk}/")
    client.get("/logout/")
    client.get(f"/products/{shop['boot'].pk}/")
    first, second = outbox_payloads()
    assert first["user_id"] == str(ann.pk) and "user_id" not in second
    assert first["session_id"] != second["session_id"]


def test_another_user_logging_in_gets_a_new_session(client, shop, ann):
    get_user_model().objects.create_user("ben", password="pw")
    client.get("/login/?u=ann")
    client.get(f"/products/{shop['boot'].pk}/")
    client.get("/login/?u=ben")  # Django flushes a session that belonged to someone else
    client.get(f"/products/{shop['boot'].pk}/")
    first, second = outbox_payloads()
    assert first["session_id"] != second["session_id"]


def test_a_purchase_at_checkout_carries_the_shoppers_session(client, shop, ann):
    client.get(f"/products/{shop['boot'].pk}/")
    session = client.session["_personalize_session_id"]
    client.get("/login/?u=ann")
    client.get(f"/checkout/?p={shop['boot'].pk}&p={shop['cap'].pk}")
    purchases = [e for e in outbox_payloads() if e["event_type"] == "Purchase"]
    assert [(e["item_id"], e["session_id"], e["user_id"]) for e in purchases] == [
        (str(shop["boot"].pk), session, str(ann.pk)),
        (str(shop["cap"].pk), session, str(ann.pk)),
    ]
    assert [e["event_value"] for e in purchases] == [79.9, 12.5]


def test_a_failed_checkout_records_no_purchase(client, shop):
    client.raise_request_exception = False
    response = client.get(f"/checkout/?p={shop['boot'].pk}&fail=1")
    assert response.status_code == 500
    assert [e for e in outbox_payloads() if e["event_type"] == "Purchase"] == []


def test_a_guest_checkout_records_with_the_guest_session(client, shop):
    client.get(f"/products/{shop['boot'].pk}/")
    session = client.session["_personalize_session_id"]
    client.get(f"/checkout/?p={shop['boot'].pk}")
    purchase = [e for e in outbox_payloads() if e["event_type"] == "Purchase"][0]
    assert purchase["session_id"] == session and "user_id" not in purchase


def test_no_consent_at_checkout_records_no_purchase(client, shop):
    with override_settings(PERSONALIZE={"BACKEND": "memory", "CONSENT": lambda request: False}):
        client.get(f"/checkout/?p={shop['boot'].pk}")
    assert outbox_payloads() == []
