"""The overview page's figures: events per type per day, the outbox's depth
and the age of its oldest pending row, the dead letters, and the backend's
and the model's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Min
from django.utils import timezone

from ..client import get_backend
from ..models import OutboxEvent
from ..outbox import outbox_db, state_counts
from ..outbox.health import DeliveryHealth, delivery_health
from .events import Window, cached_figures, recorded_events


@dataclass
class BackendStatus:
    """What the backend is and whether its model serves."""

    name: str
    can_train: bool
    #: the current model's report as a dict (``None``: no model, or not a trainable backend)
    report: dict[str, Any] | None = None
    #: why there is no report (an untrained engine, an error)
    problem: str = ""

    @property
    def ready(self) -> list[str]:
        cases = (self.report or {}).get("use_cases", {})
        return [name for name, status in cases.items() if status.get("ready")]


def backend_status() -> BackendStatus:
    """The configured backend's name and, when it trains, its model's report."""
    try:
        backend = get_backend()
    except Exception as err:  # a misconfigured backend is what this page must show
        return BackendStatus("?", False, problem=f"{type(err).__name__}: {err}")
    status = BackendStatus(backend.display_name, bool(backend.can_train))
    if backend.can_train:
        try:
            report = backend.report()
        except Exception as err:  # no model yet: report() has nothing to describe
            status.problem = f"no model yet ({type(err).__name__}: {err})"
        else:
            if report is None:
                status.problem = "no model yet: train it (the console's Training page)"
            else:
                status.report = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    return status


@dataclass
class Overview:
    window: Window
    #: {event type: [count per day of the window]}
    per_day: dict[str, list[int]] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    oldest_pending: timedelta | None = None
    backend: BackendStatus | None = None
    #: whether delivery has stalled (what ``personalize_health`` says)
    health: DeliveryHealth | None = None

    @property
    def totals(self) -> dict[str, int]:
        return {kind: sum(days) for kind, days in sorted(self.per_day.items())}

    @property
    def depth(self) -> int:
        """Rows still to deliver (pending and in flight)."""
        return self.states.get(OutboxEvent.PENDING, 0) + self.states.get(OutboxEvent.IN_FLIGHT, 0)

    @property
    def dead(self) -> int:
        return self.states.get(OutboxEvent.DEAD, 0)


def events_per_day(window: Window) -> dict[str, list[int]]:
    per_day: dict[str, list[int]] = {}
    for event in recorded_events(window):
        index = window.day_index(event.sent_at)
        if index is not None:
            per_day.setdefault(event.event_type, [0] * window.days)[index] += 1
    return dict(sorted(per_day.items()))


def oldest_pending_age() -> timedelta | None:
    """How long the oldest row still to deliver has waited (``None``: none waits)."""
    oldest = (
        OutboxEvent.objects.using(outbox_db())
        .filter(state__in=[OutboxEvent.PENDING, OutboxEvent.IN_FLIGHT])
        .aggregate(oldest=Min("created_at"))["oldest"]
    )
    return None if oldest is None else max(timedelta(0), timezone.now() - oldest)


def overview(window: Window) -> Overview:
    """Every figure of the overview page for ``window``."""
    return Overview(
        window=window,
        per_day=cached_figures(f"events:{window.days}", lambda: events_per_day(window)),
        states=state_counts(),
        oldest_pending=oldest_pending_age(),
        backend=backend_status(),
        health=delivery_health(),
    )
