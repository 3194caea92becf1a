"""personalize.js in a real browser: impressions when a block becomes
visible, clicks with the recommendation id, both arriving in the outbox."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVENTS = "/api/personalize/events/"


def is_events_post(response) -> bool:
    return response.url.endswith(EVENTS) and response.request.method == "POST"


def recorded():
    from personalize_django.models import OutboxEvent

    return [row.payload for row in OutboxEvent.objects.filter(kind="event").order_by("id")]


@pytest.fixture
def scripted(shop, backend):
    ids = [str(shop[name].pk) for name in ("cap", "boot")]
    backend.set_recommendations("best_sellers", ids, recommendation_id="RID-browser-1")
    return ids


def test_impression_when_visible_then_click_with_the_recommendation_id(live_server, page, scripted):
    page.goto(live_server.url + "/shop/recommended/")
    block = page.locator("[data-personalize-use-case]")
    assert block.get_attribute("data-personalize-recommendation-id") == "RID-browser-1"
    assert (
        block.locator("[data-personalize-item-id]").evaluate_all(
            "els => els.map(e => e.dataset.personalizeItemId)"
        )
        == scripted
    )
    assert recorded() == []  # below the fold: nothing seen yet

    with page.expect_response(is_events_post) as first:
        block.scroll_into_view_if_needed()
    assert first.value.status == 200, first.value.text()
    [impression] = recorded()
    assert impression["event_type"] == "Impression"
    assert impression["recommendation_id"] == "RID-browser-1"
    assert impression["impression"] == scripted
    # the block is named by the page's URL pattern, so the console tells placements apart
    assert block.get_attribute("data-personalize-block") == "browser-recommended"
    assert impression["properties"] == {"useCase": "best_sellers", "block": "browser-recommended"}
    assert "user_id" not in impression and impression["session_id"]

    # Scrolling away and back records no second impression: the next post holds the click only.
    page.locator("#top").scroll_into_view_if_needed()
    block.scroll_into_view_if_needed()
    with page.expect_response(is_events_post) as second:
        block.locator(f'[data-personalize-item-id="{scripted[1]}"]').click()
    assert second.value.status == 200, second.value.text()
    assert second.value.json() == {"accepted": 1, "errors": []}
    events = recorded()
    assert [e["event_type"] for e in events] == ["Impression", "Click"]
    click = events[1]
    assert click["item_id"] == scripted[1]
    assert click["recommendation_id"] == "RID-browser-1"
    assert click["session_id"] == impression["session_id"]


def test_a_logged_in_shopper_is_recorded_as_themselves(
    live_server, page, scripted, django_user_model
):
    from django.contrib.auth import SESSION_KEY

    user = django_user_model.objects.create_user("carol", password="pw")
    # Log in through a real session cookie, as the shop's login page would.
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )

    page.goto(live_server.url + "/shop/recommended/")
    with page.expect_response(is_events_post) as sent:
        page.locator("[data-personalize-item-id]").first.click()
    assert sent.value.status == 200, sent.value.text()
    events = recorded()
    assert [e["event_type"] for e in events] == [
        "Impression",
        "Click",
    ]  # the click proves the block was seen
    assert {e["user_id"] for e in events} == {str(user.pk)}


def test_a_beacon_without_the_csrf_token_is_refused(live_server, page, scripted):
    page.goto(live_server.url + "/shop/recommended/")
    with page.expect_response(is_events_post) as sent:
        page.evaluate(
            """() => navigator.sendBeacon(%r, new Blob([JSON.stringify({events: [{event_type: "View"}]})],
                                                   {type: "text/plain"}))"""
            % EVENTS
        )
    assert sent.value.status == 403
    body = sent.value.json()  # the API's one error shape
    assert isinstance(body["detail"], str) and body["code"]
    assert recorded() == []
