"""Progress display and option parsing shared by the data-pipeline commands.

(The leading underscore keeps Django from taking this module for a command.)
"""

from __future__ import annotations

import sys
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class Progress:
    """Running counts per label on stderr: a tqdm bar each when tqdm is
    installed, else a rewritten ``label: n`` line. ``update(label, n)`` takes
    the count so far (not an increment)."""

    def __init__(self, command: BaseCommand, enabled: bool, *, unit: str = "rows") -> None:
        # The raw stream under the command's stderr (OutputWrapper would add newlines).
        self.stream = getattr(command.stderr, "_out", sys.stderr)
        self.enabled = enabled
        self.unit = unit
        self.bars: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        self._tqdm = tqdm

    def update(self, label: str, n: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        previous = self.counts.get(label, 0)
        self.counts[label] = n
        if self._tqdm is None:
            self.stream.write(f"\r{label}: {n:,}" + (f"/{total:,}" if total else ""))
            self.stream.flush()
            return
        bar = self.bars.get(label)
        if bar is None:
            # Labels come one after the other (one file, then the next): finish the last bar.
            for done in self.bars.values():
                done.close()
            bar = self.bars[label] = self._tqdm(
                total=total, desc=label, unit=self.unit, file=self.stream, leave=True
            )
        bar.update(n - previous)

    def close(self) -> None:
        if not self.enabled:
            return
        for bar in self.bars.values():
            bar.close()
        if self._tqdm is None and self.counts:
            self.stream.write("\n")
        self.bars.clear()
        self.counts.clear()


def parse_moment(value: str | None, option: str) -> datetime | None:
    """An option's date (``2024-06-01``, midnight) or date-time, made aware in
    the current time zone when it has none."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(
                f"{option}: {value!r} is not a date (YYYY-MM-DD) or an ISO date-time"
            )
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def parse_filter_values(pairs: list[str]) -> dict[str, list[str]]:
    """``--filter-value NAME=a,b`` options as ``{"NAME": ["a", "b"]}``."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"--filter-value: expected NAME=VALUE[,VALUE...], not {pair!r}")
        values.setdefault(name, []).extend(v for v in raw.split(",") if v)
    return values
