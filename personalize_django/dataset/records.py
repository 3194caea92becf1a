"""The shop's data as SDK records, for the bulk export and the data-quality check.

    events = ShopEvents()                      # outbox + backend store + registered event models
    items, users = iter_items(), iter_users()  # the registered item and user models

(the CSV columns are in :mod:`personalize_django.dataset.formats`, the
records left out in :mod:`personalize_django.dataset.skipped`)

Where the history comes from, oldest knowledge last:

1. the outbox rows not yet delivered (with a backend whose store cannot be
   read, every row not dead: delivered rows are kept ``KEEP_DELIVERED``
   seconds only);
2. the backend's own store, when it can be read (the local engine keeps every
   delivered event: its backend ``can_iterate_data``; Amazon Personalize
   cannot give events back);
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
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Sequence

from django.db import models

from personalize_sdk import Event, InvalidRecordError, Item, User
from personalize_sdk.backends import Backend

from ..client import get_backend
from ..conf import personalize_settings
from ..models import OutboxEvent
from ..outbox import outbox_db
from ..registry import EventRegistration, properties_of, registry, resolve
from ..specs import property_specs, related_paths, with_related
from .skipped import Skipped

#: the event sources, in the order they are read (and win over later ones)
SOURCES = ("outbox", "backend", "models")

#: date-time field names taken as "when this row happened", in order of preference
TIMESTAMP_NAMES = ("created_at", "created", "timestamp", "date", "placed_at", "ordered_at",
                   "added_at", "occurred_at", "time")  # fmt: skip

#: records read per database query
DEFAULT_CHUNK_SIZE = 2000


# -- items and users ------------------------------------------------------------------
def iter_items(
    *, chunk_size: int = DEFAULT_CHUNK_SIZE, skipped: Skipped | None = None
) -> Iterator[Item]:
    """Every row of the registered item model as an :class:`Item`, or, with
    no item model, the backend's stored items when it can list them."""
    reg = registry.item_registration()
    if reg is None:
        return _stored(lambda backend: backend.iter_items())
    return _rows(reg, reg.to_item, "invalid_item", chunk_size, skipped)


def iter_users(
    *, chunk_size: int = DEFAULT_CHUNK_SIZE, skipped: Skipped | None = None
) -> Iterator[User]:
    """Every row of the registered user model as a :class:`User` (or the backend's users)."""
    reg = registry.user_registration()
    if reg is None:
        return _stored(lambda backend: backend.iter_users())
    return _rows(reg, reg.to_user, "invalid_user", chunk_size, skipped)


def _stored(records: Callable[[Backend], Iterator[Any]]) -> Iterator[Any]:
    backend = readable_backend()
    if backend is not None:
        yield from records(backend)


def _rows(
    reg: Any,
    convert: Callable[[models.Model], Any],
    reason: str,
    chunk_size: int,
    skipped: Skipped | None,
) -> Iterator[Any]:
    """The rows of ``reg``'s model, converted; refused ones counted under ``reason``."""
    queryset = with_related(reg.model._default_manager.all(), related_paths(reg.model, reg.specs()))
    for obj in queryset.order_by("pk").iterator(chunk_size=chunk_size):
        try:
            yield convert(obj)
        except InvalidRecordError as err:
            if skipped is not None:
                skipped.refuse(reason, f"{reg.model._meta.label_lower} {obj.pk}", err)


def readable_backend() -> Backend | None:
    """The backend, if it can give its stored records back (``can_iterate_data``:
    the local engine, the memory backend); else ``None``."""
    backend = get_backend()
    return backend if backend.can_iterate_data else None


# -- events from the registered models -------------------------------------------------
def timestamp_spec(reg: EventRegistration) -> Any:
    """The spec of when a ``reg`` row happened: ``EXPORT_TIMESTAMPS``, else the
    registration's own ``timestamp``, else a date-time field of the model
    (``auto_now_add`` first, then by name), else one of the model that its
    ``user`` or ``session`` path goes through first (an order line's order).
    ``None`` when nothing fits."""
    model = reg.model
    configured = personalize_settings.EXPORT_TIMESTAMPS or {}
    for key in (model._meta.label_lower, model._meta.label):
        if key in configured:
            return configured[key]
    if getattr(reg, "timestamp", None) is not None:
        return reg.timestamp
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
    model = regs[0].model
    label = model._meta.label_lower
    # Per-save registrations have no stable id (each save is a new event): a
    # row's current state says nothing about its history, so they are left out.
    # A row of an on="create" or on="import" registration is one past event.
    creating = [reg for reg in regs if reg.on != "save"]
    for reg in regs:
        if reg.on == "save":
            skipped.add("per_save_registration", f"{label}: events on every save are not history")
    if not creating:
        return
    stamps = {id(reg): timestamp_spec(reg) for reg in creating}
    specs = [s for reg in creating for s in (reg.item, reg.user, reg.session, reg.value)]
    specs += [s for s in stamps.values() if s is not None]
    for reg in creating:
        specs += property_specs(reg.properties)
    queryset = with_related(model._default_manager.all(), related_paths(model, specs))
    queryset = queryset.order_by("pk")
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
                    properties=properties_of(instance, reg.properties) or None,
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
    """Event ids already exported, and the facts they record, in a temporary
    SQLite file (flat memory).

    A *fact* is what an exported row says: the event type, the user, the
    item and the second (a guest's, without the user: an order row knows no
    session of the visit, so its derived event has one of its own). Events
    derived from the registered models (an ``OrderLine`` row is a Purchase)
    are left out when an earlier source already gave the same fact under
    another id: a purchase recorded into the backend's store without the id
    its order line would derive (a bulk history import, a seed) is exported
    once, not once from the store and again from the order rows.
    """

    CHUNK = 500

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="personalize-export-", suffix=".sqlite3")
        os.close(handle)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.db.execute("CREATE TABLE facts (fact TEXT PRIMARY KEY) WITHOUT ROWID")

    def fresh(self, events: Iterable[Event], *, derived: bool = False) -> Iterator[Event]:
        """``events`` minus those seen before (here or in an earlier call),
        by id, and for ``derived`` events (from the models) by fact too."""
        chunk: list[Event] = []
        for event in events:
            chunk.append(event)
            if len(chunk) >= self.CHUNK:
                yield from self._filter(chunk, derived)
                chunk = []
        if chunk:
            yield from self._filter(chunk, derived)

    def _known(self, table: str, column: str, keys: list[str]) -> set[str]:
        marks = ",".join("?" * len(keys))
        query = f"SELECT {column} FROM {table} WHERE {column} IN ({marks})"
        return {row[0] for row in self.db.execute(query, keys)}

    def _filter(self, chunk: list[Event], derived: bool) -> list[Event]:
        known = self._known("seen", "id", list({e.event_id for e in chunk}))
        facts = {id(e): fact(e) for e in chunk}
        known_facts = self._known("facts", "fact", list(set(facts.values()))) if derived else set()
        out = []
        for event in chunk:
            if event.event_id in known or facts[id(event)] in known_facts:
                continue
            known.add(event.event_id)
            out.append(event)
        self.db.executemany("INSERT INTO seen (id) VALUES (?)", [(e.event_id,) for e in out])
        self.db.executemany(
            "INSERT OR IGNORE INTO facts (fact) VALUES (?)", [(facts[id(e)],) for e in out]
        )
        return out

    def close(self) -> None:
        self.db.close()


def fact(event: Event) -> str:
    """What an exported row of ``event`` says (see :class:`SeenIds`)."""
    return "\x1f".join(
        (event.event_type, event.user_id or "", event.item_id or "", str(int(event.sent_at_epoch)))
    )


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
    #: only the events sent at or after this time, from the backend's store
    #: (which skips the others itself); the outbox and the models give all
    since: datetime | None = None

    def __post_init__(self) -> None:
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown event source {unknown[0]!r}; known: {', '.join(SOURCES)}")

    def _counted(self, source: str, events: Iterable[Event]) -> Iterator[Event]:
        self.read.setdefault(source, 0)
        for event in events:
            self.read[source] += 1
            yield event

    def _recorded(self) -> Iterator[Event]:
        """The events recorded as such: the outbox's, then the backend's."""
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
            events = backend.iter_events(since=self.since) if self.since else backend.iter_events()
            yield from self._counted("backend", events)

    def _derived(self) -> Iterator[Event]:
        """The events the registered models' rows stand for."""
        if "models" in self.sources:
            for regs in list(registry.events.values()):
                if regs:
                    events = _model_events(regs, self.chunk_size, self.skipped)
                    yield from self._counted("models", events)

    def __iter__(self) -> Iterator[Event]:
        seen = SeenIds()
        try:
            yield from seen.fresh(self._recorded())
            for event in seen.fresh(self._derived(), derived=True):
                yield event
        finally:
            self.duplicates = sum(self.read.values()) - self._yielded(seen)
            seen.close()

    @staticmethod
    def _yielded(seen: SeenIds) -> int:
        return seen.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SOURCES",
    "SeenIds",
    "ShopEvents",
    "TIMESTAMP_NAMES",
    "iter_items",
    "iter_users",
    "readable_backend",
    "timestamp_spec",
]
