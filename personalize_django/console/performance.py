"""Impressions, clicks, click-through and conversions of the recommendation
blocks, from the events the app already records (``personalize.js`` posts
an ``Impression`` per block seen and a ``Click`` per item clicked, both with
the list's ``recommendation_id``; order lines record ``Purchase``).

Attribution:

* a block is its use case (the ``USE_CASE_PROPERTY`` of its events), or
  ``<use case>/<block>`` when the events carry a ``block`` property (two
  blocks of one use case on different pages, say);
* a click without the property is attributed, by its ``recommendation_id``,
  to the block whose impression carried the same id;
* a **conversion** is a purchase of an item that the same session, or the same
  user, clicked in a block within the conversion window before; it counts
  for the block of the latest such click, once per purchase.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable

from personalize_sdk import Event, InvalidRequestError

from ..conf import personalize_settings
from .events import Window, recorded_events

#: conversion windows a page offers, in hours
CONVERSION_HOURS = (1, 24, 72, 168)
DEFAULT_CONVERSION_HOURS = 24
PURCHASE = "Purchase"
#: event property that tells two blocks of one use case apart
BLOCK_PROPERTY = "block"
CSV_COLUMNS = ("day", "block", "impressions", "clicks", "ctr", "conversions")


@dataclass
class Counts:
    impressions: int = 0
    clicks: int = 0
    conversions: int = 0

    @property
    def ctr(self) -> float | None:
        """Clicks per impression (``None`` before any impression)."""
        return self.clicks / self.impressions if self.impressions else None

    @property
    def conversion_rate(self) -> float | None:
        """Conversions per click."""
        return self.conversions / self.clicks if self.clicks else None


@dataclass
class Performance:
    window: Window
    conversion_window: timedelta
    #: {block: Counts} over the whole window
    blocks: dict[str, Counts] = field(default_factory=dict)
    #: {block: [Counts per day]}
    daily: dict[str, list[Counts]] = field(default_factory=dict)

    @property
    def total(self) -> Counts:
        return Counts(
            sum(c.impressions for c in self.blocks.values()),
            sum(c.clicks for c in self.blocks.values()),
            sum(c.conversions for c in self.blocks.values()),
        )

    def series(self, metric: str) -> dict[str, list[float]]:
        """{block: [``metric`` per day]} (``ctr`` days without impressions count 0)."""
        return {
            block: [getattr(c, metric) or 0 for c in days] for block, days in self.daily.items()
        }

    def to_csv(self) -> str:
        """One row per day and block (days without any event are left out)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for block, days in self.daily.items():
            for day, c in zip(self.window.day_list, days):
                if c.impressions or c.clicks or c.conversions:
                    ctr = "" if c.ctr is None else f"{c.ctr:.4f}"
                    row = (day.isoformat(), block, c.impressions, c.clicks, ctr, c.conversions)
                    writer.writerow(row)
        return out.getvalue()


def conversion_window_from(query: Any, name: str = "hours") -> timedelta:
    """The conversion window a page's query asks for (``?hours=``)."""
    raw = query.get(name)
    if raw in (None, ""):
        return timedelta(hours=DEFAULT_CONVERSION_HOURS)
    try:
        hours = int(raw)
    except (TypeError, ValueError):
        hours = None
    if hours not in CONVERSION_HOURS:
        raise InvalidRequestError(name, "must be one of " + ", ".join(map(str, CONVERSION_HOURS)))
    return timedelta(hours=hours)


def block_of(event: Event, by_recommendation: dict[str, str]) -> str | None:
    """The block an impression or click belongs to (see the module docstring)."""
    properties = event.properties or {}
    use_case = properties.get(personalize_settings.USE_CASE_PROPERTY)
    if use_case:
        block = properties.get(BLOCK_PROPERTY)
        return f"{use_case}/{block}" if block else str(use_case)
    if event.recommendation_id:
        return by_recommendation.get(event.recommendation_id)
    return None


def measure(
    events: Iterable[Event], window: Window, conversion_window: timedelta
) -> Performance:
    """The figures of ``events`` (any order) within ``window``."""
    impression_type = personalize_settings.IMPRESSION_EVENT_TYPE
    click_type = personalize_settings.CLICK_EVENT_TYPE
    wanted = {impression_type, click_type, PURCHASE}
    ordered = sorted(
        (e for e in events if e.event_type in wanted and e.sent_at is not None),
        key=lambda e: e.sent_at,
    )
    result = Performance(window, conversion_window)
    by_recommendation: dict[str, str] = {}
    # (who, item) -> (time, block) of the latest click, for each of session and user
    clicked: dict[tuple[str, str, str], tuple[Any, str]] = {}

    def counts(block: str, index: int) -> tuple[Counts, Counts]:
        if block not in result.blocks:
            result.blocks[block] = Counts()
            result.daily[block] = [Counts() for _ in range(window.days)]
        return result.blocks[block], result.daily[block][index]

    for event in ordered:
        index = window.day_index(event.sent_at)
        if event.event_type == PURCHASE:
            found = [
                clicked.get(key)
                for key in (("s", event.session_id, event.item_id), ("u", event.user_id, event.item_id))
                if key[1] and event.item_id
            ]
            found = [f for f in found if f and event.sent_at - f[0] <= conversion_window]
            if found and index is not None:
                for c in counts(max(found, key=lambda f: f[0])[1], index):
                    c.conversions += 1
            continue
        block = block_of(event, by_recommendation)
        if block is None:
            continue
        if event.event_type == impression_type:
            if event.recommendation_id:
                by_recommendation.setdefault(event.recommendation_id, block)
            if index is not None:
                for c in counts(block, index):
                    c.impressions += 1
            continue
        if event.item_id:
            for who, kind in ((event.session_id, "s"), (event.user_id, "u")):
                if who:
                    clicked[(kind, who, event.item_id)] = (event.sent_at, block)
        if index is not None:
            for c in counts(block, index):
                c.clicks += 1
    result.blocks = dict(sorted(result.blocks.items()))
    result.daily = {block: result.daily[block] for block in result.blocks}
    return result


def performance(window: Window, conversion_window: timedelta) -> Performance:
    """The figures of the events recorded within ``window`` (and the clicks of
    the conversion window before it, which its first purchases may follow)."""
    reach = Window(window.days + max(1, conversion_window.days + 1), window.end)
    wanted = {
        personalize_settings.IMPRESSION_EVENT_TYPE,
        personalize_settings.CLICK_EVENT_TYPE,
        PURCHASE,
    }
    events = recorded_events(reach, keep=lambda event: event.event_type in wanted)
    return measure(events, window, conversion_window)
