"""Dead letters: rows the backend will never take, kept with their reason
until a person replays them (the admin action, ``personalize_replay``)."""

from __future__ import annotations

from typing import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from ..models import OutboxEvent
from .waking import schedule_on_commit
from .writing import outbox_db


def replay(rows: QuerySet | Iterable[OutboxEvent], *, using: str | None = None) -> int:
    """Send dead letters again: back to ``pending`` with a fresh attempt count
    (the last error is kept until a delivery succeeds). Returns how many."""
    db = using or outbox_db()
    ids = (
        [row.pk for row in rows]
        if not isinstance(rows, QuerySet)
        else list(rows.values_list("pk", flat=True))
    )
    count = (
        OutboxEvent.objects.using(db)
        .filter(pk__in=ids, state=OutboxEvent.DEAD)
        .update(
            state=OutboxEvent.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_by="",
            claimed_at=None,
        )
    )
    if count:
        schedule_on_commit(db)
    return count
