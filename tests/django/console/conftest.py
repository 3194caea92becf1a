"""Fixtures of the console's tests: staff users and a recorded history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalize_django.recording import record_event

RID = "RID-console-1"


@pytest.fixture
def staff_client(client, django_user_model):
    """A staff user holding the console's view permission only (not train)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_outboxevent"))
    client.force_login(user)
    return client


@pytest.fixture
def history(shop):
    """Views, one block's impression and click, and a purchase after the click."""
    now = timezone.now()
    boot, cap = str(shop["boot"].pk), str(shop["cap"].pk)
    record_event("View", item=boot, user="u1", session_id="s1", sent_at=now - timedelta(hours=3))
    record_event("View", item=cap, user="u2", session_id="s2", sent_at=now - timedelta(days=1))
    record_event(
        "Impression",
        user="u1",
        session_id="s1",
        recommendation_id=RID,
        impression=[cap, boot],
        properties={"useCase": "also_viewed"},
        sent_at=now - timedelta(hours=2),
    )
    # no useCase property: attributed by its recommendation id
    record_event(
        "Click",
        item=cap,
        user="u1",
        session_id="s1",
        recommendation_id=RID,
        sent_at=now - timedelta(hours=2) + timedelta(minutes=1),
    )
    record_event(
        "Purchase", item=cap, user="u1", session_id="s1", sent_at=now - timedelta(minutes=30)
    )
    return {"boot": boot, "cap": cap}


@pytest.fixture(autouse=True)
def _empty_cache():
    """The pages keep their figures in the cache: every test starts afresh."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
