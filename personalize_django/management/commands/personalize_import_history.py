"""Record the shop's past as events: every row of the models registered with
``register_event`` (orders' lines, basket lines, views kept in a table),
at the time the registration's ``timestamp`` names.

Each row's event id is the one a save of that row records (deterministic,
see ``EventRegistration.event_id_for``), so the command is idempotent: a
row already recorded, by a save or by an earlier run, is skipped, while its
outbox row is kept (``KEEP_DELIVERED``); the local engine also ignores an
event id it has stored. Run it once, before the first training.

When the backend has a bulk path (the local engine's ``import_events``),
the events go straight into it, a chunk of rows at a time, instead of
through the outbox: a history of millions of rows is stored at the speed of
the disk, and a row already stored (by a save or an earlier run) is skipped
by the engine. ``--outbox`` keeps the outbox's way (each row's outbox row
kept, delivery as configured).
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Callable, Iterator

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from personalize_sdk import BackendError, Event, InvalidRecordError

from ...client import get_client
from ...conf import personalize_settings
from ...models import OutboxEvent
from ...outbox import outbox_db
from ...receivers import model_event_people
from ...recording import write_event
from ...registry import EventRegistration, properties_of, registry, resolve
from ...signals import CancelRecord, pre_record
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
        parser.add_argument(
            "--outbox",
            action="store_true",
            help="record through the outbox even when the backend has a bulk path",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk_size"] < 1:
            raise CommandError(f"--chunk-size must be at least 1, not {options['chunk_size']}")
        jobs = self._jobs(options["model"])
        progress = Progress(self, not options["no_progress"] and options["verbosity"] > 0)
        bulk = None if options["outbox"] else _bulk_path()
        recorded = skipped = invalid = 0
        try:
            for model, regs in jobs:
                label = model._meta.label
                queryset = model._default_manager.order_by("pk")
                total = queryset.count()
                rows = queryset.iterator(chunk_size=options["chunk_size"])
                if bulk is not None:
                    counts = self._import(bulk, regs, rows, label, total, progress)
                else:
                    counts = self._record(regs, rows, options["chunk_size"], label, total, progress)
                recorded, skipped, invalid = (
                    recorded + counts[0], skipped + counts[1], invalid + counts[2]
                )
        finally:
            progress.close()
        self.stdout.write(
            f"Recorded {recorded} events; skipped {skipped} already recorded"
            + (f" and {invalid} invalid (see above)" if invalid else "")
            + "."
        )

    def _record(
        self, regs: list[EventRegistration], rows: Iterator[Any], chunk_size: int, label: str,
        total: int, progress: Progress,
    ) -> tuple[int, int, int]:
        """Through the outbox, a transaction per chunk of rows."""
        recorded = skipped = invalid = seen = 0
        while chunk := list(islice(rows, chunk_size)):
            counts = self._record_chunk(regs, chunk)
            recorded, skipped, invalid = recorded + counts[0], skipped + counts[1], invalid + counts[2]
            seen += len(chunk)
            progress.update(label, seen, total)
        return recorded, skipped, invalid

    def _import(
        self, bulk: Callable[..., int], regs: list[EventRegistration], rows: Iterator[Any],
        label: str, total: int, progress: Progress,
    ) -> tuple[int, int, int]:
        """Straight into the backend's bulk path; the progress counts rows read."""
        seen = invalid = planned = 0

        def events() -> Iterator[Event]:
            nonlocal seen, invalid, planned
            for obj in rows:
                seen += 1
                for reg in regs:
                    if not reg.imports(obj):
                        continue
                    planned += 1
                    event = self._event_or_report(reg, obj)
                    if event is False:
                        invalid += 1
                    elif event is not None:
                        yield event

        try:
            added = bulk(events(), progress=lambda read, added: progress.update(label, seen, total))
        except BackendError as err:
            raise CommandError(f"{label}: the backend failed ({err}); the rows stored before it "
                               "stay, and a new run skips them") from err
        progress.update(label, seen, total)
        return added, planned - added - invalid, invalid

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
        planned = [(reg, obj) for obj in chunk for reg in regs if reg.imports(obj)]
        if not personalize_settings.ENABLED:
            return 0, len(planned), 0
        db = outbox_db()
        ids = [reg.event_id_for(obj, reg.event_type_for(obj)) for reg, obj in planned]
        done = set(OutboxEvent.objects.using(db).filter(record_id__in=ids)
                   .values_list("record_id", flat=True))
        recorded = invalid = 0
        with transaction.atomic(using=db):
            for (reg, obj), event_id in zip(planned, ids):
                if event_id in done:
                    continue
                event = self._event_or_report(reg, obj)
                if event is False:
                    invalid += 1
                    continue
                recorded += event is not None and write_event(event, chosen_id=True) is not None
        return recorded, len(planned) - recorded - invalid, invalid

    def _event_or_report(self, reg: EventRegistration, obj: Any) -> Event | None | bool:
        """:func:`_history_event`, or ``False`` for an invalid row (named on stderr)."""
        try:
            return _history_event(reg, obj)
        except InvalidRecordError as err:
            self.stderr.write(f"skipped {reg.model._meta.label} {obj.pk}: {err}")
            return False


def _bulk_path() -> Callable[..., int] | None:
    """The backend's ``import_events``, when it has one (the local engine's)."""
    if not personalize_settings.ENABLED:
        return None  # the outbox's way records nothing, and says so
    backend = get_client().backend
    return backend.import_events if backend.can_import_events else None


def _history_event(reg: EventRegistration, obj: Any) -> Event | None:
    """The event a save of ``obj`` records by ``reg`` (as ``record_event``
    builds it), or ``None`` when a ``pre_record`` receiver cancels it."""
    event_type = reg.event_type_for(obj)
    user_id, session_id = model_event_people(reg, obj)
    if session_id is None and user_id is not None:
        session_id = f"user-{user_id}"
    event = Event(
        event_type,
        session_id=session_id,  # type: ignore[arg-type]  (None: refused by Event, naming it)
        item_id=registry.item_id_for(resolve(obj, reg.item)),
        user_id=user_id,
        sent_at=resolve(obj, reg.timestamp),
        event_value=resolve(obj, reg.value),
        properties=properties_of(obj, reg.properties) or None,
        event_id=reg.event_id_for(obj, event_type),
    )
    try:
        pre_record.send(sender=Event, event=event, request=None)
    except CancelRecord:
        return None
    return event
