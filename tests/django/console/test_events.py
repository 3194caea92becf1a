"""The events a console page reads: those of its window, each once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalize_django.console.events import Window, recorded_events
from personalize_django.recording import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread(shop):
    """Views 20 days ago, 2 days ago and an hour ago, by two users."""
    now = timezone.now()
    boot = str(shop["boot"].pk)
    for user, days in (("u1", 20), ("u1", 2), ("u2", 2), ("u1", 0)):
        record_event("View", item=boot, user=user, session_id=f"s-{user}",
                     sent_at=now - timedelta(days=days, hours=1))
    return now


def test_only_the_events_of_the_window_are_read(spread):
    week = list(recorded_events(Window(7, spread)))
    assert sorted(e.user_id for e in week) == ["u1", "u1", "u2"]
    assert len({e.event_id for e in week}) == 3
    assert len(list(recorded_events(Window(30, spread)))) == 4


def test_keep_leaves_out_the_events_it_refuses(spread):
    mine = list(recorded_events(Window(30, spread), keep=lambda e: e.user_id == "u1"))
    assert [e.user_id for e in mine] == ["u1", "u1", "u1"]
