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
