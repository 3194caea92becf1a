"""Send dead letters again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Put dead letters back in the outbox for delivery (all, by id, or by reason)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="replay every dead letter")
        parser.add_argument(
            "--id",
            type=int,
            action="append",
            dest="ids",
            default=[],
            help="replay this row (repeatable)",
        )
        parser.add_argument(
            "--reason-contains", help="replay dead letters whose reason contains this text"
        )
        parser.add_argument(
            "--kind", choices=["event", "item", "user"], help="only rows of this kind"
        )
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django.outbox import replay
        from personalize_django.models import OutboxEvent
        from personalize_django.outbox import outbox_db

        if not (options["all"] or options["ids"] or options["reason_contains"]):
            raise CommandError("Say what to replay: --all, --id N or --reason-contains TEXT")
        db = outbox_db()
        rows = OutboxEvent.objects.using(db).filter(state=OutboxEvent.DEAD)
        if options["ids"]:
            rows = rows.filter(pk__in=options["ids"])
        if options["reason_contains"]:
            rows = rows.filter(last_error__icontains=options["reason_contains"])
        if options["kind"]:
            rows = rows.filter(kind=options["kind"])
        total_dead = OutboxEvent.objects.using(db).filter(state=OutboxEvent.DEAD).count()
        if options["dry_run"]:
            self.stdout.write(f"{rows.count()} of {total_dead} dead letter(s) would be replayed.")
            return
        count = replay(rows, using=db)
        self.stdout.write(self.style.SUCCESS(f"Replayed {count} of {total_dead} dead letter(s)."))
