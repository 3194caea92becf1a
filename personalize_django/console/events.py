"""The window a console page looks at, and the events recorded in it.

Events are read where the app keeps them (:class:`~personalize_django.dataset.ShopEvents`,
de-duplicated by event id): the outbox rows not yet delivered, and the
backend's own store when it can give events back (the local engine, the
memory backend). With a backend that cannot (Amazon Personalize), delivered
rows are still read while the outbox keeps them (``KEEP_DELIVERED``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterator, TypeVar

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from personalize_sdk import Event, InvalidRequestError

from ..dataset.records import ShopEvents
from ..models import OutboxEvent
from ..outbox import outbox_db

T = TypeVar("T")

#: the windows a page offers, in days
DAY_CHOICES = (7, 14, 30, 60)
DEFAULT_DAYS = 14
#: seconds a page's figures are kept at most (reading a long history takes seconds)
CACHE_SECONDS = 60
#: where the console reads events from (not the registered models: their
#: events reached the outbox when the rows were saved)
EVENT_SOURCES = ("outbox", "backend")


@dataclass(frozen=True)
class Window:
    """The last ``days`` days up to ``end`` (today included)."""

    days: int
    end: datetime

    @property
    def first_day(self) -> date:
        return timezone.localdate(self.end) - timedelta(days=self.days - 1)

    @property
    def since(self) -> datetime:
        start = datetime.combine(self.first_day, datetime.min.time())
        return timezone.make_aware(start, timezone.get_current_timezone())

    @property
    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days)]

    @property
    def labels(self) -> list[str]:
        return [day.strftime("%d %b") for day in self.day_list]

    def day_index(self, when: datetime) -> int | None:
        """The position of ``when``'s day in :attr:`day_list`, or ``None`` outside."""
        index = (timezone.localdate(when) - self.first_day).days
        return index if 0 <= index < self.days else None


def window_from(query: Any, name: str = "days") -> Window:
    """The window a page's query asks for (``?days=``, one of :data:`DAY_CHOICES`);
    a bad value raises :class:`~personalize_sdk.InvalidRequestError` naming it."""
    raw = query.get(name)
    if raw in (None, ""):
        return Window(DEFAULT_DAYS, timezone.now())
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = None
    if days not in DAY_CHOICES:
        raise InvalidRequestError(name, "must be one of " + ", ".join(map(str, DAY_CHOICES)))
    return Window(days, timezone.now())


@dataclass
class _EventsSince(ShopEvents):
    """:class:`ShopEvents` that leaves out, before de-duplicating, the events
    sent before ``since`` (the backend's store skips them itself) and those
    ``keep`` refuses: the de-duplication (a table of the ids seen) then holds
    the window's events, not the whole history's."""

    keep: Callable[[Event], bool] | None = None

    def _recorded(self) -> Iterator[Event]:
        since, keep = self.since, self.keep
        for event in super()._recorded():
            if event.sent_at is None or (since is not None and event.sent_at < since):
                continue
            if keep is None or keep(event):
                yield event


def recorded_events(
    window: Window, keep: Callable[[Event], bool] | None = None
) -> Iterator[Event]:
    """The events sent within ``window`` (and that ``keep`` keeps), each once
    (oldest first per source); the backend gives only the window's events
    (``iter_events(since=)``)."""
    yield from _EventsSince(sources=EVENT_SOURCES, since=window.since, keep=keep)


def cached_figures(name: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept in Django's cache under ``name`` until an event is
    recorded through the app (a new outbox row) or a minute has passed."""
    newest = (
        OutboxEvent.objects.using(outbox_db()).aggregate(newest=Max("pk"))["newest"] or 0
    )
    key = f"personalize:console:{name}:{newest}:{int(time.time() // CACHE_SECONDS)}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found
