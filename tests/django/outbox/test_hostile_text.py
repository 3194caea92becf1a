"""Text PostgreSQL refuses (NUL, lone surrogates) is refused by the records
before any outbox row is written: the database never sees it."""

from __future__ import annotations

import pytest

from personalize_django.models import OutboxEvent
from personalize_django.recording import record_event


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"session_id": "s\x00"}, "session_id"),
        ({"session_id": "s", "event_id": "e\ud800"}, "event_id"),
        ({"session_id": "s", "properties": {"k": "v\x00"}}, "properties['k']"),
    ],
)
def test_the_outbox_never_sees_hostile_text(settings, kwargs, field):
    from personalize_sdk import InvalidRecordError

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}
    with pytest.raises(InvalidRecordError) as info:
        record_event("View", item="1", **kwargs)
    assert info.value.field == field
    assert not OutboxEvent.objects.exists()
