"""Drain the outbox now, in this process (cron, DELIVERY = "manual", debugging)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Deliver the due outbox rows now and print what happened (and prune old delivered rows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-rows", type=int, default=None, help="stop after claiming this many rows"
        )
        parser.add_argument(
            "--time-limit", type=float, default=None, help="stop after this many seconds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django.outbox import (
            deliver_pending,
            prune_delivered,
            state_counts,
        )

        pruned = prune_delivered()
        report = deliver_pending(max_rows=options["max_rows"], time_limit=options["time_limit"])
        self.stdout.write(
            f"claimed {report.claimed}, delivered {report.delivered}, deferred {report.deferred}, "
            f"dead {report.dead}, reclaimed {report.reclaimed}, backend calls {report.calls}, "
            f"pruned {pruned}"
        )
        counts = state_counts()
        self.stdout.write("outbox: " + ", ".join(f"{state} {n}" for state, n in counts.items()))
