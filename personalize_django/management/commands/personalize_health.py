"""Say whether outbox delivery has stalled; exit 1 when it has. See docs/django/delivery.rst."""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"--max-age must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise CommandError(f"--max-age must be a finite number of seconds >= 0, not {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Check that outbox delivery keeps up: exit 1, with a one-line reason, when the oldest "
        "row waiting for delivery is older than --max-age seconds (for monitoring and probes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        from personalize_django.outbox.health import DEFAULT_MAX_AGE

        parser.add_argument(
            "--max-age",
            default=str(DEFAULT_MAX_AGE),
            help=f"seconds the oldest waiting row may have (default {DEFAULT_MAX_AGE:g})",
        )
        parser.add_argument("--json", action="store_true", help="print the finding as JSON")
        parser.add_argument("--database", default=None, help="the outbox's database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django.outbox.health import delivery_health

        health = delivery_health(max_age=_seconds(options["max_age"]), using=options["database"])
        if options["json"]:
            self.stdout.write(json.dumps(health.as_dict()))
        else:
            self.stdout.write(("OK: " if health.ok else "STALLED: ") + health.reason)
        if not health.ok:
            raise SystemExit(1)
