"""The shop's data as SDK records, for the bulk export and the data-quality check.

    events = ShopEvents()                      # outbox + backend store + registered event models
    items, users = iter_items(), iter_users()  # the registered item and user models
    (the CSV columns are in personalize_django.dataset_formats)

Where the history comes from, oldest knowledge last:

1. the outbox rows not yet delivered (with a backend whose store cannot be
   read, every row not dead: delivered rows are kept ``KEEP_DELIVERED``
   seconds only);
2. the backend's own store, when it can be read (the local engine keeps every
   delivered event; Amazon Personalize cannot give events back);
3. the registered event models (an ``OrderLine`` row is a ``Purchase``), which
   also reach back before the app was installed. Their time is found as
   ``EXPORT_TIMESTAMPS`` says, or guessed (:func:`timestamp_spec`); their
   session, when the registration names none, is ``user-<id>``.

Each event is exported once: the sources are de-duplicated by ``event_id``
(model events carry the same deterministic id the receivers recorded them
with), the earlier source winning because it knows the real session. The
ids seen are kept in a temporary SQLite file, so memory stays flat however
long the history.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping, Sequence

from django.db import models

from personalize_sdk import Event, InvalidRecordError, Item, User
from personalize_sdk.dataset import (
    CODES,
    CheckReport,
    Finding,
)

from .conf import personalize_settings
from .models import OutboxEvent
from .recording import outbox_db
from .registry import EventRegistration, registry, resolve

#: the event sources, in the order they are read (and win over later ones)
SOURCES = ("outbox", "backend", "models")

#: date-time field names taken as "when this row happened", in order of preference
TIMESTAMP_NAMES = ("created_at", "created", "timestamp", "date", "placed_at", "ordered_at",
                   "added_at", "occurred_at", "time")  # fmt: skip

#: records read per database query
DEFAULT_CHUNK_SIZE = 2000


# -- items and users ------------------------------------------------------------------
def _relations(model: type[models.Model], specs: Iterable[Any]) -> list[str]:
    """``select_related`` paths for the attribute paths among ``specs``, so
    that ``"order.customer"`` costs a join rather than a query per row."""
    paths = set()
    for spec in specs:
        if not isinstance(spec, str):
            continue
        current, walked = model, []
        for part in re.split(r"__|\.", spec):
            try:
                field_ = current._meta.get_field(part)
            except Exception:  # not a field (a property, a method): stop the walk here
                break
            if not (field_.is_relation and (field_.many_to_one or field_.one_to_one)):
                break
            if field_.one_to_one and not field_.concrete:
                break  # a reverse one-to-one cannot always be joined; leave it lazy
            walked.append(part)
            current = field_.related_model
        if walked:
            paths.add("__".join(walked))
    return sorted(paths)


def _property_specs(spec: Any) -> list[Any]:
    return list(spec.values()) if isinstance(spec, Mapping) else []


@dataclass
class Skipped:
    """Records left out, by reason (printed by the commands)."""

    counts: dict[str, int] = field(default_factory=dict)
    #: one example per reason (``"shop.orderline 12: ..."``)
    examples: dict[str, str] = field(default_factory=dict)

    #: records the SDK refused, by the check's finding code: (count, examples)
    refused: dict[str, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)

    def add(self, reason: str, example: str = "") -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        if example and reason not in self.examples:
            self.examples[reason] = example

    def refuse(self, reason: str, where: str, err: InvalidRecordError) -> None:
        """A record the SDK refused (as delivery would): counted under ``reason``
        and under the finding code of the rule it broke (:func:`refusal_code`)."""
        self.add(reason, f"{where}: {err}")
        code = refusal_code(err)
        count, examples = self.refused.get(code, (0, []))
        if len(examples) < MAX_REFUSED_EXAMPLES:
            dataset = {"invalid_item": "items", "invalid_user": "users"}.get(reason, "events")
            examples.append({"message": f"{where}: {err}", "file": dataset, "column": err.field})
        self.refused[code] = (count + 1, examples)

    def findings(self, max_examples: int = 5) -> list[Finding]:
        """The refused records as data-quality findings (errors: the backend would refuse them)."""
        return [
            Finding(
                code,
                count,
                f"{count:,} record(s) {REFUSAL_MESSAGES[code]}",
                examples[:max_examples],
            )
            for code, (count, examples) in self.refused.items()
        ]

    def __bool__(self) -> bool:
        return bool(self.counts)


MAX_REFUSED_EXAMPLES = 20
REFUSAL_MESSAGES = {
    "E-ID-TOO-LONG": "have an id longer than Personalize accepts (256 characters); the backend "
    "refuses them, so they were left out of the check",
    "E-VALUE-TOO-LONG": "have properties (or a whole event) larger than Personalize accepts; the "
    "backend refuses them, so they were left out of the check",
    "E-REQUIRED-EMPTY": "lack a required value; the backend refuses them, so they were left out "
    "of the check",
    "E-VALUE-INVALID": "have a value the backend refuses (see the examples); they were left out of "
    "the check",
}


def refusal_code(err: InvalidRecordError) -> str:
    """The check's finding code for a record the SDK refused."""
    field_name, rule = str(getattr(err, "field", "")), str(getattr(err, "rule", ""))
    if rule.startswith(("must not be empty", "is required")):
        return "E-REQUIRED-EMPTY"
    if "at most" in rule:
        if field_name.endswith("_id") or field_name.startswith("impression"):
            return "E-ID-TOO-LONG"
        return "E-VALUE-TOO-LONG"
    return "E-VALUE-INVALID"


def merge_findings(report: CheckReport, extra: Sequence[Finding], max_examples: int) -> CheckReport:
    """``report`` with ``extra`` findings added (counts summed for a code found
    in both), in the check's order."""
    by_code = {f.code: f for f in report.findings}
    for finding in extra:
        known = by_code.get(finding.code)
        if known is None:
            by_code[finding.code] = finding
        else:
            by_code[finding.code] = Finding(
                known.code,
                known.count + finding.count,
                f"{known.message} Also: {finding.message}.",
                (known.examples + finding.examples)[:max_examples],
            )
    order = {code: n for n, code in enumerate(CODES)}
    findings = sorted(by_code.values(), key=lambda f: order.get(f.code, len(order)))
    return CheckReport(findings, report.summary)


def iter_items(
    *, chunk_size: int = DEFAULT_CHUNK_SIZE, skipped: Skipped | None = None
) -> Iterator[Item]:
    """Every row of the registered item model as an :class:`Item`, or, with
    no item model, the backend's stored items when it can list them."""
    reg = registry.item_registration()
    if reg is None:
        yield from _backend_records("iter_items")
        return
    specs = [reg.id_field, reg.available, *_property_specs(reg.properties)]
    queryset = reg.model._default_manager.select_related(*_relations(reg.model, specs))
    for obj in queryset.order_by("pk").iterator(chunk_size=chunk_size):
        try:
            yield reg.to_item(obj)
        except InvalidRecordError as err:
            if skipped is not None:
                skipped.refuse("invalid_item", f"{reg.model._meta.label_lower} {obj.pk}", err)


def iter_users(
    *, chunk_size: int = DEFAULT_CHUNK_SIZE, skipped: Skipped | None = None
) -> Iterator[User]:
    """Every row of the registered user model as a :class:`User` (or the backend's users)."""
    reg = registry.user_registration()
    if reg is None:
        yield from _backend_records("iter_users")
        return
    specs = [reg.id_field, *_property_specs(reg.properties)]
    queryset = reg.model._default_manager.select_related(*_relations(reg.model, specs))
    for obj in queryset.order_by("pk").iterator(chunk_size=chunk_size):
        try:
            yield reg.to_user(obj)
        except InvalidRecordError as err:
            if skipped is not None:
                skipped.refuse("invalid_user", f"{reg.model._meta.label_lower} {obj.pk}", err)


def readable_backend() -> Any:
    """The backend, if it can give its stored events back (the local engine); else ``None``."""
    from .client import get_backend

    backend = get_backend()
    return backend if callable(getattr(backend, "iter_events", None)) else None


def _backend_records(method: str) -> Iterator[Any]:
    backend = readable_backend()
    if backend is not None and callable(getattr(backend, method, None)):
        yield from getattr(backend, method)()


# -- events from the registered models -------------------------------------------------
def timestamp_spec(reg: EventRegistration) -> Any:
    """The spec of when a ``reg`` row happened: ``EXPORT_TIMESTAMPS``, else a
    date-time field of the model (``auto_now_add`` first, then by name), else
    one of the model that its ``user`` or ``session`` path goes through first
    (an order line's order). ``None`` when nothing fits."""
    model = reg.model
    configured = personalize_settings.EXPORT_TIMESTAMPS or {}
    for key in (model._meta.label_lower, model._meta.label):
        if key in configured:
            return configured[key]
    own = _datetime_field(model)
    if own is not None:
        return own
    skip = set(registry.items) | set(registry.users)
    for spec in (reg.user, reg.session):
        if not isinstance(spec, str):
            continue
        first = spec.replace("__", ".").split(".")[0]
        try:
            relation = model._meta.get_field(first)
        except Exception:
            continue
        target = getattr(relation, "related_model", None)
        if relation.is_relation and target is not None and target not in skip:
            found = _datetime_field(target)
            if found is not None:
                return f"{first}.{found}"
    return None


def _datetime_field(model: type[models.Model]) -> str | None:
    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
    for f in fields:
        if getattr(f, "auto_now_add", False):
            return f.name
    by_name = {f.name: f for f in fields}
    return next((name for name in TIMESTAMP_NAMES if name in by_name), None)


def _model_events(
    regs: Sequence[EventRegistration], chunk_size: int, skipped: Skipped
) -> Iterator[Event]:
    from .registry import _properties

    model = regs[0].model
    label = model._meta.label_lower
    # Per-save registrations have no stable id (each save is a new event): a
    # row's current state says nothing about its history, so they are left out.
    creating = [reg for reg in regs if reg.on == "create"]
    for reg in regs:
        if reg.on != "create":
            skipped.add("per_save_registration", f"{label}: events on every save are not history")
    if not creating:
        return
    stamps = {id(reg): timestamp_spec(reg) for reg in creating}
    specs = [s for reg in creating for s in (reg.item, reg.user, reg.session, reg.value)]
    specs += [s for s in stamps.values() if s is not None]
    for reg in creating:
        specs += _property_specs(reg.properties)
    queryset = model._default_manager.select_related(*_relations(model, specs)).order_by("pk")
    for instance in queryset.iterator(chunk_size=chunk_size):
        for reg in creating:
            if reg.when is not None and not reg.when(instance, True):
                continue
            where = f"{label} {instance.pk}"
            stamp_spec = stamps[id(reg)]
            sent_at = resolve(instance, stamp_spec) if stamp_spec is not None else None
            if not isinstance(sent_at, datetime):
                skipped.add("no_timestamp", f"{where}: add {label!r} to EXPORT_TIMESTAMPS")
                continue
            try:
                event_type = reg.event_type_for(instance)
                user_id = registry.user_id_for(resolve(instance, reg.user))
                session_id = resolve(instance, reg.session) or (
                    f"user-{user_id}" if user_id else f"{label}-{instance.pk}"
                )
                yield Event(
                    event_type,
                    session_id=str(session_id),
                    item_id=registry.item_id_for(resolve(instance, reg.item)),
                    user_id=user_id,
                    sent_at=sent_at,
                    event_value=resolve(instance, reg.value),
                    properties=_properties(instance, reg.properties) or None,
                    event_id=reg.event_id_for(instance, event_type),
                )
            except InvalidRecordError as err:
                skipped.refuse("invalid_event", where, err)


# -- events from the outbox ----------------------------------------------------------------
def _outbox_events(states: Sequence[str], chunk_size: int, skipped: Skipped) -> Iterator[Event]:
    rows = (
        OutboxEvent.objects.using(outbox_db())
        .filter(kind=OutboxEvent.KIND_EVENT, state__in=list(states))
        .order_by("pk")
        .values_list("pk", "payload")
    )
    for pk, payload in rows.iterator(chunk_size=chunk_size):
        try:
            yield Event.from_dict(payload)
        except (InvalidRecordError, TypeError, ValueError) as err:
            if isinstance(err, InvalidRecordError):
                skipped.refuse("invalid_event", f"outbox row {pk}", err)
            else:
                skipped.add("invalid_event", f"outbox row {pk}: {err}")


class SeenIds:
    """Event ids already exported, in a temporary SQLite file (flat memory)."""

    CHUNK = 500

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="personalize-export-", suffix=".sqlite3")
        os.close(handle)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")

    def fresh(self, events: Iterable[Event]) -> Iterator[Event]:
        """``events`` minus those seen before (here or in an earlier call)."""
        chunk: list[Event] = []
        for event in events:
            chunk.append(event)
            if len(chunk) >= self.CHUNK:
                yield from self._filter(chunk)
                chunk = []
        if chunk:
            yield from self._filter(chunk)

    def _filter(self, chunk: list[Event]) -> list[Event]:
        ids = list({e.event_id for e in chunk})
        marks = ",".join("?" * len(ids))
        known = {
            row[0] for row in self.db.execute(f"SELECT id FROM seen WHERE id IN ({marks})", ids)
        }
        out = []
        for event in chunk:
            if event.event_id in known:
                continue
            known.add(event.event_id)
            out.append(event)
        self.db.executemany("INSERT INTO seen (id) VALUES (?)", [(e.event_id,) for e in out])
        return out

    def close(self) -> None:
        self.db.close()
        try:
            os.remove(self.path)
        except OSError:
            pass


@dataclass
class ShopEvents:
    """An iterable of every event of the shop (see the module docstring),
    de-duplicated; iterate it once. ``skipped`` and ``read`` count per source."""

    sources: Sequence[str] = SOURCES
    chunk_size: int = DEFAULT_CHUNK_SIZE
    skipped: Skipped = field(default_factory=Skipped)
    #: events read per source (before de-duplication)
    read: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0

    def __post_init__(self) -> None:
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown event source {unknown[0]!r}; known: {', '.join(SOURCES)}")

    def _counted(self, source: str, events: Iterable[Event]) -> Iterator[Event]:
        self.read.setdefault(source, 0)
        for event in events:
            self.read[source] += 1
            yield event

    def _raw(self) -> Iterator[Event]:
        backend = readable_backend() if "backend" in self.sources else None
        if "outbox" in self.sources:
            states = [OutboxEvent.PENDING, OutboxEvent.IN_FLIGHT]
            if backend is None:
                # The backend cannot give events back: delivered rows still kept are history too.
                states.append(OutboxEvent.DELIVERED)
            yield from self._counted(
                "outbox", _outbox_events(states, self.chunk_size, self.skipped)
            )
        if backend is not None:
            yield from self._counted("backend", backend.iter_events())
        if "models" in self.sources:
            for regs in list(registry.events.values()):
                if regs:
                    events = _model_events(regs, self.chunk_size, self.skipped)
                    yield from self._counted("models", events)

    def __iter__(self) -> Iterator[Event]:
        seen = SeenIds()
        try:
            for event in seen.fresh(self._raw()):
                yield event
        finally:
            self.duplicates = sum(self.read.values()) - self._yielded(seen)
            seen.close()

    @staticmethod
    def _yielded(seen: SeenIds) -> int:
        return seen.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
