"""Bodies and headers a hostile client controls: bounded parsing before
authentication, and a throttle a spoofed X-Forwarded-For cannot escape."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests.django.templatetags.conftest import pid

from .conftest import API, csrf_token
from .test_events import post_events

MEMORY = "personalize_sdk.backends.memory.MemoryBackend"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["events/", "ranking/"])
def test_json_nested_two_thousand_deep_is_a_400_naming_the_rule(browser, endpoint):
    body = "[" * 2000 + "]" * 2000  # about 4 KB, anonymous, no CSRF token
    response = browser.post(API + endpoint, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "body: JSON must be nested at most 32 deep"


@pytest.mark.django_db
def test_a_beacon_nested_too_deep_is_refused_before_its_csrf_token_is_read(browser):
    body = '{"csrf_token": "x", "events": ' + "[" * 100 + "]" * 100 + "}"
    response = browser.post(API + "events/", body, content_type="text/plain")
    assert response.status_code == 400
    assert "nested at most 32 deep" in response.json()["detail"]


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_unread(browser):
    with override_settings(PERSONALIZE={"BACKEND": MEMORY, "API_MAX_BODY_BYTES": 1000}):
        body = json.dumps({"events": [{"event_type": "View", "item_id": "1" * 1200}]})
        response = browser.post(API + "events/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("body: must be at most 1000 bytes")


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_the_throttle(catalogue, browser):
    token = csrf_token(browser)
    rates = {"events": "2/min", "reads": "100/min", "trusted": None}
    event = [{"event_type": "View", "item_id": pid(catalogue["cap"])}]
    with override_settings(PERSONALIZE={"BACKEND": MEMORY, "API_THROTTLE_RATES": rates}):
        codes = [
            post_events(browser, event, token, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
            for n in range(5)
        ]
    assert codes == [200, 200, 429, 429, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_hop_it_appended_is_the_client(catalogue, browser):
    token = csrf_token(browser)
    rates = {"events": "1/min", "reads": "100/min", "trusted": None}
    event = [{"event_type": "View", "item_id": pid(catalogue["cap"])}]
    settings = {"BACKEND": MEMORY, "API_THROTTLE_RATES": rates, "API_TRUSTED_PROXIES": 1}
    with override_settings(PERSONALIZE=settings):
        # The client's own (spoofed) entry comes first; the proxy appends the real one.
        first = post_events(browser, event, token, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
        again = post_events(browser, event, token, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
        other = post_events(browser, event, token, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.8")
    assert [first.status_code, again.status_code, other.status_code] == [200, 429, 200]


@pytest.mark.django_db
def test_a_guest_cannot_squat_the_id_of_the_next_purchase(catalogue, browser, django_user_model):
    # The attack: a guest posts Views carrying the ids the next order
    # lines would derive, so that the real Purchases look like repeats.
    from personalize_django.models import OutboxEvent
    from personalize_django.registry import registry
    from tests.django.testapp.models import Order, OrderLine

    reg = registry.events[OrderLine][0]
    start = (OrderLine.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    squatted = [reg.event_id_for(OrderLine(pk=pk), "Purchase") for pk in range(start, start + 50)]
    token = csrf_token(browser)
    cap = pid(catalogue["cap"])
    with override_settings(PERSONALIZE={"BACKEND": MEMORY, "API_THROTTLE_RATES": {}}):
        answer = post_events(
            browser, [{"event_type": "View", "item_id": cap, "event_id": i} for i in squatted],
            token,
        )
        assert answer.status_code == 200 and answer.json()["accepted"] == 50
        victim = django_user_model.objects.create_user("victim")
        order = Order.objects.create(customer=victim)
        line = OrderLine.objects.create(order=order, product=catalogue["cap"], price="12.50")
    assert reg.event_id_for(line, "Purchase") in squatted  # the attack aimed at this line
    purchases = OutboxEvent.objects.filter(record_id=reg.event_id_for(line, "Purchase"))
    assert [row.payload["event_type"] for row in purchases] == ["Purchase"]
    views = OutboxEvent.objects.filter(payload__event_type="View")
    assert views.count() == 50
    assert not set(views.values_list("record_id", flat=True)) & set(squatted)


@pytest.mark.django_db
def test_server_derived_ids_depend_on_the_installations_secret(settings):
    from personalize_django.registry import registry
    from tests.django.testapp.models import OrderLine

    reg = registry.events[OrderLine][0]
    first = reg.event_id_for(OrderLine(pk=7), "Purchase")
    assert first == reg.event_id_for(OrderLine(pk=7), "Purchase")  # deterministic
    settings.SECRET_KEY = "another installation"
    assert reg.event_id_for(OrderLine(pk=7), "Purchase") != first


@pytest.mark.django_db
def test_an_id_already_recorded_for_another_event_is_refused(catalogue, caplog):
    from personalize_django.recording import EventIdConflictError, record_event
    from personalize_sdk import InvalidRecordError

    record_event("View", item=pid(catalogue["cap"]), session_id="s1", event_id="evt-1")
    assert record_event("View", item=pid(catalogue["cap"]), session_id="s1", event_id="evt-1") is None
    with pytest.raises(InvalidRecordError, match="already recorded for another event") as refused:
        record_event("View", item=pid(catalogue["boot"]), session_id="s2", event_id="evt-1")
    assert isinstance(refused.value, EventIdConflictError)
    assert "refused event evt-1" in caplog.text
