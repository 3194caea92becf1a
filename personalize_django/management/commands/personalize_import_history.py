"""Record the shop's past as events: every row of the models registered with
``register_event`` (orders' lines, basket lines, views kept in a table),
at the time the registration's ``timestamp`` names.

Each row's event id is the one a save of that row records (deterministic,
see ``EventRegistration.event_id_for``), so the command is idempotent: a
row already recorded, by a save or by an earlier run, is skipped, while its
outbox row is kept (``KEEP_DELIVERED``); the local engine also ignores an
event id it has stored. Run it once, before the first training.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from personalize_sdk import InvalidRecordError

from ...models import OutboxEvent
from ...outbox import outbox_db
from ...receivers import model_event_people
from ...recording import record_event
from ...registry import EventRegistration, properties_of, registry, resolve
from ._progress import Progress


class Command(BaseCommand):
    help = (
        "Record past orders, basket lines and views of the registered event models as "
        "events (idempotent: rows already recorded are skipped)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model",
            action="append",
            default=[],
            metavar="APP_LABEL.MODEL",
            help="only this registered event model (repeatable)",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=500, help="rows read and recorded per transaction"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk_size"] < 1:
            raise CommandError(f"--chunk-size must be at least 1, not {options['chunk_size']}")
        jobs = self._jobs(options["model"])
        progress = Progress(self, not options["no_progress"] and options["verbosity"] > 0)
        recorded = skipped = invalid = 0
        try:
            for model, regs in jobs:
                label = model._meta.label
                queryset = model._default_manager.order_by("pk")
                total = queryset.count()
                seen = 0
                rows = queryset.iterator(chunk_size=options["chunk_size"])
                while chunk := list(islice(rows, options["chunk_size"])):
                    counts = self._record_chunk(regs, chunk)
                    recorded, skipped, invalid = (
                        recorded + counts[0], skipped + counts[1], invalid + counts[2]
                    )
                    seen += len(chunk)
                    progress.update(label, seen, total)
        finally:
            progress.close()
        self.stdout.write(
            f"Recorded {recorded} events; skipped {skipped} already recorded"
            + (f" and {invalid} invalid (see above)" if invalid else "")
            + "."
        )

    def _jobs(self, labels: list[str]) -> list[tuple[type, list[EventRegistration]]]:
        events = {m: regs for m, regs in registry.events.items() if regs}
        if not events:
            raise CommandError(
                "No event model is registered: add register_event(...) calls to an app's "
                "personalize.py (or install an adapter such as personalize_django.contrib.oscar)"
            )
        if not labels:
            return sorted(events.items(), key=lambda pair: pair[0]._meta.label)
        chosen = []
        for label in labels:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                raise CommandError(f"--model: {label!r} is not an installed model") from None
            if model not in events:
                known = ", ".join(sorted(m._meta.label for m in events))
                raise CommandError(
                    f"--model: {label!r} has no register_event registration (registered: {known})"
                )
            chosen.append((model, events[model]))
        return chosen

    def _record_chunk(
        self, regs: list[EventRegistration], chunk: list[Any]
    ) -> tuple[int, int, int]:
        planned = []
        for obj in chunk:
            for reg in regs:
                if reg.imports(obj):
                    event_type = reg.event_type_for(obj)
                    planned.append((reg, obj, event_type, reg.event_id_for(obj, event_type)))
        db = outbox_db()
        ids = [event_id for *_, event_id in planned]
        done = set(OutboxEvent.objects.using(db).filter(record_id__in=ids)
                   .values_list("record_id", flat=True))
        recorded = invalid = 0
        with transaction.atomic(using=db):
            for reg, obj, event_type, event_id in planned:
                if event_id in done:
                    continue
                user_id, session_id = model_event_people(reg, obj)
                try:
                    event = record_event(
                        event_type,
                        item=registry.item_id_for(resolve(obj, reg.item)),
                        user=user_id,
                        session_id=session_id,
                        value=resolve(obj, reg.value),
                        properties=properties_of(obj, reg.properties) or None,
                        sent_at=resolve(obj, reg.timestamp),
                        event_id=event_id,
                    )
                except InvalidRecordError as err:
                    invalid += 1
                    self.stderr.write(f"skipped {reg.model._meta.label} {obj.pk}: {err}")
                    continue
                recorded += event is not None
        return recorded, len(planned) - recorded - invalid, invalid
