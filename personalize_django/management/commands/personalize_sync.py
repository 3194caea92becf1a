"""Queue every registered item and user again (after bulk updates, raw SQL,
imports: changes that bypassed the model signals)."""

from __future__ import annotations

import sys
from typing import Any, Iterable, Iterator

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from personalize_sdk import InvalidRecordError


class _Counter:
    """A minimal progress display on stderr when tqdm is not installed."""

    def __init__(self, total: int, desc: str, stream: Any) -> None:
        self.total, self.desc, self.stream, self.n = total, desc, stream, 0

    def update(self, n: int) -> None:
        self.n += n
        self.stream.write(f"\r{self.desc}: {self.n}/{self.total}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def _progress(total: int, desc: str, enabled: bool, stream: Any) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return _Counter(total, desc, stream)
    return tqdm(total=total, desc=desc, unit="rec", file=stream)


def _chunked(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in iterable:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Command(BaseCommand):
    help = "Queue every registered item and user for delivery, with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--items", action="store_true", help="items only")
        parser.add_argument("--users", action="store_true", help="users only")
        parser.add_argument(
            "--chunk-size", type=int, default=1000, help="rows read and queued per transaction"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--deliver", action="store_true", help="also deliver now, in this process"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django.outbox import outbox_db
        from personalize_django.recording import queue_items, queue_users
        from personalize_django.registry import registry
        from personalize_django.specs import related_paths, with_related

        both = not (options["items"] or options["users"])
        jobs: list[tuple[Any, str]] = []
        if both or options["items"]:
            jobs += [(reg, "item") for reg in registry.items.values()]
        if both or options["users"]:
            jobs += [(reg, "user") for reg in registry.users.values()]
        if not jobs:
            raise CommandError(
                "Nothing is registered: add register_item/register_user calls to an app's "
                "personalize.py"
            )
        db = outbox_db()
        show = not options["no_progress"] and options["verbosity"] > 0
        for reg, kind in jobs:
            name = reg.model._meta.verbose_name_plural
            # Items: the registration's rows (its queryset, with what it prefetches).
            rows = reg.get_queryset() if kind == "item" else reg.model._default_manager.all()
            # Properties read through foreign keys ("category.name") come joined,
            # not one query per row.
            queryset = with_related(rows, related_paths(reg.model, reg.specs())).order_by("pk")
            # the raw stream under the command's stderr (OutputWrapper would add newlines)
            bar = _progress(
                queryset.count(), str(name), show, getattr(self.stderr, "_out", sys.stderr)
            )
            queued = skipped = 0
            for chunk in _chunked(
                queryset.iterator(chunk_size=options["chunk_size"]), options["chunk_size"]
            ):
                records = []
                for obj in chunk:
                    try:
                        records.append(reg.to_item(obj) if kind == "item" else reg.to_user(obj))
                    except InvalidRecordError as err:
                        skipped += 1
                        self.stderr.write(f"skipped {reg.model._meta.label} {obj.pk}: {err}")
                with transaction.atomic(using=db):
                    queued += (queue_items if kind == "item" else queue_users)(records)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
            self.stdout.write(
                f"Queued {queued} {name}"
                + (f" ({skipped} skipped: invalid)" if skipped else "")
                + "."
            )
        if options["deliver"]:
            from personalize_django.outbox import deliver_pending

            report = deliver_pending(time_limit=float("inf"))
            self.stdout.write(
                f"Delivered {report.delivered}, deferred {report.deferred}, dead {report.dead}."
            )
