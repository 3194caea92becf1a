"""POST events/ (browsers and trusted services), items/ and users/."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from .conftest import API, csrf_token, outbox


def pid(product) -> str:
    return str(product.pk)


def post_events(client, events, token=None, **extra):
    headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
    return client.post(API + "events/", {"events": events}, format="json", **headers, **extra)


@pytest.mark.django_db
def test_a_guest_records_with_the_session_of_the_request(catalogue, browser):
    token = csrf_token(browser)
    cap = pid(catalogue["cap"])
    response = post_events(
        browser,
        [
            {
                "event_type": "Click",
                "item_id": cap,
                "recommendation_id": "RID-1",
                "use_case": "also_viewed",
                "user_id": "victim",
                "session_id": "someone-else",
            }
        ],
        token,
    )
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "errors": []}
    [event] = outbox()
    assert event["item_id"] == cap and event["recommendation_id"] == "RID-1"
    assert "user_id" not in event  # a guest
    assert event["session_id"] not in ("someone-else", None)
    assert event["properties"] == {"useCase": "also_viewed"}
    # The session id is the request's: the next post records the same one.
    post_events(browser, [{"event_type": "View", "item_id": cap}], token)
    assert outbox()[1]["session_id"] == event["session_id"]


@pytest.mark.django_db
def test_another_users_id_in_the_body_is_ignored(catalogue, users, browser):
    ann, bob = users
    browser.force_login(ann)
    token = csrf_token(browser)
    response = post_events(
        browser,
        [{"event_type": "View", "item_id": pid(catalogue["cap"]), "user_id": str(bob.pk)}],
        token,
    )
    assert response.status_code == 200
    assert outbox()[0]["user_id"] == str(ann.pk)


@pytest.mark.django_db
def test_csrf_is_enforced_for_session_posts(catalogue, users, browser):
    ann, _ = users
    browser.force_login(ann)
    csrf_token(browser)
    response = post_events(browser, [{"event_type": "View", "item_id": pid(catalogue["cap"])}])
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert outbox() == []


@pytest.mark.django_db
def test_csrf_is_enforced_for_guests_too(catalogue, browser):
    response = post_events(browser, [{"event_type": "View", "item_id": pid(catalogue["cap"])}])
    assert response.status_code == 403
    assert outbox() == []


@pytest.mark.django_db
def test_a_beacon_sends_text_plain_json_with_the_token_in_the_body(catalogue, users, browser):
    ann, _ = users
    browser.force_login(ann)
    token = csrf_token(browser)
    body = {
        "events": [
            {
                "event_type": "Impression",
                "impression": [pid(catalogue["cap"])],
                "recommendation_id": "R",
            }
        ]
    }
    forged = browser.post(
        API + "events/", json.dumps(body), content_type="text/plain;charset=UTF-8"
    )
    assert forged.status_code == 403  # a cross-site text/plain post has no token
    body["csrf_token"] = token
    response = browser.post(
        API + "events/", json.dumps(body), content_type="text/plain;charset=UTF-8"
    )
    assert response.status_code == 200, response.content
    [event] = outbox()
    assert event["event_type"] == "Impression" and event["impression"] == [pid(catalogue["cap"])]
    assert "item_id" not in event


@pytest.mark.django_db
def test_each_bad_event_is_answered_and_the_good_ones_kept(catalogue, browser):
    token = csrf_token(browser)
    cap = pid(catalogue["cap"])
    events = [
        {"event_type": "View", "item_id": cap},
        {"event_type": "Purchase", "item_id": cap},
        {"item_id": cap},
        {"event_type": "View", "item_id": "999999"},
        {"event_type": "Click", "item_id": cap, "recommendation_id": "x" * 41},
        {"event_type": "View", "item_id": cap, "colour": "red"},
        "not an object",
        {"event_type": "Click", "item_id": cap, "use_case": "nope"},
        {
            "event_type": "View",
            "item_id": cap,
            "sent_at": (timezone.now() - timedelta(days=3)).isoformat(),
        },
        {"event_type": "View", "item_id": cap, "properties": {"impression": "1"}},
        {"event_type": "AddToCart", "item_id": cap, "event_value": 2.5},
    ]
    response = post_events(browser, events, token)
    assert response.status_code == 207  # some kept, some refused
    body = response.json()
    assert body["accepted"] == 2
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "event_type"),
        (2, "event_type"),
        (3, "item_id"),
        (4, "recommendation_id"),
        (5, "colour"),
        (6, "event"),
        (7, "use_case"),
        (8, "sent_at"),
        (9, "properties['impression']"),
    ]
    assert all(e["rule"] for e in body["errors"])
    assert body["errors"][2]["rule"] == "is not a known item"
    assert [(e["event_type"], e.get("event_value")) for e in outbox()] == [
        ("View", None),
        ("AddToCart", 2.5),
    ]


@pytest.mark.django_db
def test_a_batch_of_only_bad_events_is_a_400(catalogue, browser):
    token = csrf_token(browser)
    response = post_events(
        browser, [{"event_type": "Purchase", "item_id": pid(catalogue["cap"])}], token
    )
    assert response.status_code == 400
    assert response.json()["accepted"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"events": {}}, {"events": []}, [1, 2]])
def test_malformed_envelopes(catalogue, service, body):
    response = service.post(API + "events/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "events"


@pytest.mark.django_db
def test_an_oversize_batch_is_refused(catalogue, service):
    with override_settings(
        PERSONALIZE={"BACKEND": "personalize_sdk.backends.memory.MemoryBackend", "API_MAX_BATCH": 3}
    ):
        events = [{"event_type": "View", "session_id": "s", "item_id": "1"}] * 4
        response = service.post(API + "events/", {"events": events}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert outbox() == []


@pytest.mark.django_db
def test_browser_posts_are_throttled(catalogue, browser):
    token = csrf_token(browser)
    rates = {"events": "2/min", "reads": "100/min", "trusted": None}
    with override_settings(
        PERSONALIZE={
            "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
            "API_THROTTLE_RATES": rates,
        }
    ):
        codes = [
            post_events(browser, [{"event_type": "View", "item_id": pid(catalogue["cap"])}], token)
            for _ in range(3)
        ]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert int(codes[2]["Retry-After"]) > 0


@pytest.mark.django_db
def test_reads_are_throttled_by_default(catalogue, browser):
    from personalize_django.conf import DEFAULTS

    limit = int(DEFAULTS["API_THROTTLE_RATES"]["reads"].split("/")[0])
    codes = [
        browser.get(API + "recommendations/best_sellers/?limit=1").status_code
        for _ in range(limit + 1)
    ]
    assert codes[:limit] == [200] * limit
    assert codes[limit] == 429


@pytest.mark.django_db
def test_trusted_services_record_for_any_user(catalogue, service):
    sent = {
        "event_id": "e1",
        "event_type": "Purchase",
        "session_id": "s-9",
        "user_id": "1017",
        "item_id": pid(catalogue["cap"]),
        "sent_at": "2026-01-01T12:00:00+00:00",
        "event_value": 12.5,
    }
    response = service.post(API + "events/", {"events": [sent, sent]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "errors": []}
    [event] = outbox()  # the repeat of an event id is recorded once
    assert {k: event[k] for k in ("event_id", "user_id", "session_id", "event_type")} == {
        "event_id": "e1",
        "user_id": "1017",
        "session_id": "s-9",
        "event_type": "Purchase",
    }


@pytest.mark.django_db
def test_a_token_without_the_permission_is_treated_as_a_browser(catalogue, users):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    ann, bob = users
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=ann).key}")
    response = client.post(
        API + "events/",
        {
            "events": [
                {"event_type": "View", "item_id": pid(catalogue["cap"]), "user_id": str(bob.pk)}
            ]
        },
        format="json",
    )
    assert response.status_code == 200  # token posts need no CSRF token
    assert outbox()[0]["user_id"] == str(ann.pk)
    assert (
        client.post(API + "items/", {"items": [{"item_id": "1"}]}, format="json").status_code == 403
    )


@pytest.mark.django_db
def test_a_pre_record_receiver_can_cancel(catalogue, browser):
    from personalize_django.signals import CancelRecord, pre_record

    def no_clicks(sender, event, request, **kwargs):
        if event.event_type == "Click":
            raise CancelRecord("no clicks today")

    token = csrf_token(browser)
    pre_record.connect(no_clicks)
    try:
        response = post_events(
            browser,
            [
                {"event_type": "Click", "item_id": pid(catalogue["cap"])},
                {"event_type": "View", "item_id": pid(catalogue["cap"])},
            ],
            token,
        )
    finally:
        pre_record.disconnect(no_clicks)
    assert response.json() == {"accepted": 2, "errors": []}
    assert [e["event_type"] for e in outbox()] == ["View"]


@pytest.mark.django_db
def test_items_and_users_from_trusted_services(catalogue, service):
    items = service.post(
        API + "items/",
        {"items": [{"item_id": "77", "properties": {"price": 9.5}}, {"properties": {}}]},
        format="json",
    )
    users = service.post(API + "users/", {"users": [{"user_id": "1017"}]}, format="json")
    assert items.status_code == 207 and users.status_code == 200  # 207: one refused
    assert items.json() == {
        "accepted": 1,
        "errors": [{"index": 1, "field": "item_id", "rule": "is required"}],
    }
    assert {"item_id": "77", "properties": {"price": 9.5}} in outbox("item")
    assert {"user_id": "1017"} in outbox("user")


@pytest.mark.django_db
def test_items_and_users_are_refused_to_browsers(catalogue, users, browser):
    browser.force_login(users[0])
    token = csrf_token(browser)
    for path, key in (("items/", "item_id"), ("users/", "user_id")):
        response = browser.post(
            API + path, {path[:-1]: [{key: "1"}]}, format="json", HTTP_X_CSRFTOKEN=token
        )
        assert response.status_code == 401  # a session is never trusted: a token is needed
