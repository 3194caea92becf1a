"""Has delivery stalled? :func:`delivery_health`, for ``personalize_health``
and the admin console.

Delivery is healthy while the oldest row still waiting (``pending`` or
``in_flight``) is younger than ``max_age`` seconds. A worker that died, a
broker that never came back, a beat that is not running, a backend that
keeps failing: each shows as the same symptom, rows that grow old, so one
number answers for all of them (the reason names what can be seen from the
database: rows held by a configuration error, rows deferred by backoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from ..models import OutboxEvent
from .delivery import CONFIGURATION_ERROR_PREFIX
from .writing import outbox_db

#: the default ``max_age``: a few periods of the sweep that beat runs every minute
DEFAULT_MAX_AGE = 300.0

_WAITING = (OutboxEvent.PENDING, OutboxEvent.IN_FLIGHT)


@dataclass(frozen=True)
class DeliveryHealth:
    """What :func:`delivery_health` found."""

    ok: bool
    #: one line: why delivery looks stalled, or that it does not
    reason: str
    max_age: float
    #: rows waiting to be delivered (pending or in flight)
    waiting: int
    #: seconds since the oldest waiting row was written (``None``: no row waits)
    oldest_age: float | None
    oldest_created_at: datetime | None
    #: waiting rows held back by a configuration error of the backend
    held: int
    dead: int

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["oldest_created_at"] = self.oldest_created_at.isoformat() if self.oldest_created_at else None
        return data


def delivery_health(
    *, max_age: float = DEFAULT_MAX_AGE, using: str | None = None, now: datetime | None = None
) -> DeliveryHealth:
    """Whether the oldest row waiting in the outbox is younger than
    ``max_age`` seconds (a negative or non-finite ``max_age`` is a ``ValueError``)."""
    if not max_age >= 0 or max_age == float("inf"):
        raise ValueError(f"max_age must be a finite number of seconds >= 0, not {max_age!r}")
    db = using or outbox_db()
    now = now or timezone.now()
    waiting_q = Q(state__in=_WAITING)
    counts = OutboxEvent.objects.using(db).aggregate(
        waiting=Count("id", filter=waiting_q),
        oldest=Min("created_at", filter=waiting_q),
        held=Count("id", filter=waiting_q & Q(last_error__startswith=CONFIGURATION_ERROR_PREFIX)),
        dead=Count("id", filter=Q(state=OutboxEvent.DEAD)),
    )
    oldest = counts["oldest"]
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else None
    ok = age is None or age <= max_age
    if age is None:
        reason = "no outbox row is waiting"
    elif ok:
        reason = f"{counts['waiting']} row(s) waiting, the oldest for {age:.0f}s (at most {max_age:g}s)"
    else:
        reason = (
            f"delivery has stalled: the oldest of {counts['waiting']} waiting outbox row(s) was "
            f"written {age:.0f}s ago (more than {max_age:g}s)"
        )
        if counts["held"]:
            reason += f"; {counts['held']} held by a configuration error (see personalize_check)"
        else:
            reason += "; is a Celery worker running, with beat for the sweep?"
    return DeliveryHealth(
        ok=ok,
        reason=reason,
        max_age=float(max_age),
        waiting=counts["waiting"],
        oldest_age=age,
        oldest_created_at=oldest,
        held=counts["held"],
        dead=counts["dead"],
    )
