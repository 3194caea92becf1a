"""The click-through queries of docs/django/click-through.rst, run against
events recorded the way personalize.js records them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from personalize_django.models import OutboxEvent
from personalize_django.recording import record_event

from .conftest import API, csrf_token


def click_through(since):
    """Impressions, clicks and click-through rate per use case (the docs' example)."""
    rows = (
        OutboxEvent.objects.filter(
            kind="event", created_at__gte=since, payload__event_type__in=["Impression", "Click"]
        )
        .values(use_case=KT("payload__properties__useCase"))
        .annotate(
            impressions=Count("id", filter=Q(payload__event_type="Impression")),
            clicks=Count("id", filter=Q(payload__event_type="Click")),
        )
        .order_by("use_case")
    )
    return {
        row["use_case"]: (
            row["impressions"],
            row["clicks"],
            row["clicks"] / row["impressions"] if row["impressions"] else None,
        )
        for row in rows
    }


def purchases_after_a_click(since):
    """Purchases of an item the same session clicked in a recommendation first (the docs' example)."""
    keyed = OutboxEvent.objects.annotate(
        session=KT("payload__session_id"), item=KT("payload__item_id")
    )
    clicked_first = keyed.filter(
        kind="event",
        payload__event_type="Click",
        session=OuterRef("session"),
        item=OuterRef("item"),
        created_at__lte=OuterRef("created_at"),
    )
    purchases = keyed.filter(kind="event", created_at__gte=since, payload__event_type="Purchase")
    return {
        "purchases": purchases.count(),
        "after_click": purchases.filter(Exists(clicked_first)).count(),
    }


@pytest.mark.django_db
def test_click_through_per_use_case(catalogue, browser):
    token = csrf_token(browser)
    cap, boot = str(catalogue["cap"].pk), str(catalogue["boot"].pk)

    def shown(use_case, rid, clicked=None):
        events = [
            {
                "event_type": "Impression",
                "impression": [cap, boot],
                "recommendation_id": rid,
                "use_case": use_case,
            }
        ]
        if clicked:
            events.append(
                {
                    "event_type": "Click",
                    "item_id": clicked,
                    "recommendation_id": rid,
                    "use_case": use_case,
                }
            )
        response = browser.post(
            API + "events/", {"events": events}, format="json", HTTP_X_CSRFTOKEN=token
        )
        assert response.json()["errors"] == []

    shown("also_viewed", "R1", clicked=cap)
    shown("also_viewed", "R2")
    shown("also_viewed", "R3")
    shown("also_viewed", "R4", clicked=boot)
    shown("best_sellers", "R5")
    since = timezone.now() - timedelta(hours=1)
    assert click_through(since) == {"also_viewed": (4, 2, 0.5), "best_sellers": (1, 0, 0.0)}

    session_id = OutboxEvent.objects.filter(kind="event").first().payload["session_id"]
    record_event("Purchase", session_id=session_id, item=catalogue["cap"])  # clicked before
    record_event("Purchase", session_id=session_id, item=catalogue["wool"])  # never clicked
    record_event("Purchase", session_id="another", item=catalogue["cap"])  # another shopper
    assert purchases_after_a_click(since) == {"purchases": 3, "after_click": 1}
