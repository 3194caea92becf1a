"""Draining the outbox: claim rows, send them in batches the backend accepts,
mark what happened.

Guarantees (see docs/django/delivery.rst):

- *At least once.* A row leaves ``pending``/``in_flight`` only when the backend
  took it (``delivered``) or gave up on it (``dead``). A worker that dies
  mid-batch leaves its rows ``in_flight``; after ``LEASE_SECONDS`` any run
  claims them again (counted in ``reclaims``). Events carry their
  ``event_id``, so the backend keeps a redelivered event once.
- *Safe with several workers.* Claiming takes due rows with
  ``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it
  (PostgreSQL, Oracle, MySQL 8), and marks them with a claim token in a
  conditional ``UPDATE`` that re-checks their state, which alone is enough
  where the database serialises writers (SQLite).
- *Backoff.* A retryable failure (throttling, 5xx, network, an unexpected
  exception) puts the rows back with ``next_attempt_at`` =
  ``RETRY_BASE_DELAY * 2**(attempts-1)`` (at most ``RETRY_MAX_DELAY``, with
  jitter); after ``MAX_ATTEMPTS`` attempts, or on a failure that cannot
  succeed later, a row becomes a dead letter with the reason. A batch refused
  as a whole is split so that one bad record does not take its neighbours down.
  The batching, the splitting and what counts as retryable are the SDK's
  (:func:`personalize_sdk.sending.send`), as is the backoff's shape
  (:class:`~personalize_sdk.retry.RetryPolicy`, with "equal" jitter).
- *Loud misconfiguration.* A :class:`~personalize_sdk.ConfigurationError`
  from the backend (an option it lacks, a kind of record it cannot store)
  never makes dead letters: the rows go back to ``pending`` without spending
  an attempt, an error naming the setting is logged on every run, and
  ``personalize_check`` shows it (:func:`held_by_configuration`).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    F,
    Min,
    PositiveIntegerField,
    Q,
    When,
)
from django.utils import timezone

from personalize_sdk import ConfigurationError, Event, InvalidRecordError, Item, User
from personalize_sdk.backends.base import Backend
from personalize_sdk.retry import RetryPolicy
from personalize_sdk.secrets import redact_text
from personalize_sdk.sending import EVENTS, ITEMS, USERS, SendOutcome, send

from ..client import get_backend
from ..conf import personalize_settings
from ..models import OutboxEvent
from ..signals import dead_lettered, delivered
from .writing import outbox_db

logger = logging.getLogger("personalize_django")

_RECORD_CLASSES = {
    OutboxEvent.KIND_EVENT: Event,
    OutboxEvent.KIND_ITEM: Item,
    OutboxEvent.KIND_USER: User,
}
#: the SDK's name for each kind of row
_SDK_KINDS = {OutboxEvent.KIND_EVENT: EVENTS, OutboxEvent.KIND_ITEM: ITEMS, OutboxEvent.KIND_USER: USERS}
_MAX_ERROR_LENGTH = 2000
#: ``last_error`` of rows held back by a configuration error starts with this
CONFIGURATION_ERROR_PREFIX = "ConfigurationError"


@dataclass
class DeliveryReport:
    """What one :func:`deliver_pending` run did."""

    claimed: int = 0
    delivered: int = 0
    #: rows put back for a later attempt
    deferred: int = 0
    dead: int = 0
    #: rows this run claimed again after another worker's lease expired
    reclaimed: int = 0
    #: backend calls made
    calls: int = 0
    #: the earliest ``next_attempt_at`` among rows this run deferred
    next_attempt_at: datetime | None = None
    #: the run stopped at ``DELIVERY_TIME_LIMIT`` with rows possibly left
    out_of_time: bool = False
    #: rows put back untouched because the backend is misconfigured
    held: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["next_attempt_at"] = self.next_attempt_at.isoformat() if self.next_attempt_at else None
        return data


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_policy() -> RetryPolicy:
    """The outbox's backoff across runs, from ``MAX_ATTEMPTS``,
    ``RETRY_BASE_DELAY`` and ``RETRY_MAX_DELAY``: exponential, with "equal
    jitter" (half fixed, half random) so a row never comes back at once."""
    return RetryPolicy(
        max_attempts=personalize_settings.MAX_ATTEMPTS,
        base_delay=personalize_settings.RETRY_BASE_DELAY,
        max_delay=personalize_settings.RETRY_MAX_DELAY,
        deadline=None,
        jitter="equal",
    )


def backoff_delay(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before the next try of a row that failed ``attempts`` times."""
    return retry_policy().delay(attempts - 1, rng)


def _claimable(now: datetime) -> Q:
    cutoff = now - timedelta(seconds=personalize_settings.LEASE_SECONDS)
    return Q(state=OutboxEvent.PENDING, next_attempt_at__lte=now) | Q(
        state=OutboxEvent.IN_FLIGHT, claimed_at__lt=cutoff
    )


def claim(
    limit: int, *, using: str | None = None, worker: str | None = None
) -> tuple[str, list[OutboxEvent], int]:
    """Claim up to ``limit`` due rows (oldest first) for this worker; returns
    the claim token, the rows (now ``in_flight``) and how many of them were
    claimed again after their lease expired."""
    db = using or outbox_db()
    token = f"{worker or worker_name()}:{uuid.uuid4().hex[:12]}"
    now = timezone.now()
    claimable = _claimable(now)
    manager = OutboxEvent.objects.using(db)
    with transaction.atomic(using=db):
        candidates = manager.filter(claimable).order_by("id")
        if connections[db].features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        found = list(candidates.values_list("id", "state")[:limit])
        if not found:
            return token, [], 0
        ids = [pk for pk, _ in found]
        expired = sum(1 for _, state in found if state == OutboxEvent.IN_FLIGHT)
        # The WHERE re-checks the state, so a row another worker took between
        # our SELECT and this UPDATE (possible without SKIP LOCKED) is left alone.
        manager.filter(claimable, id__in=ids).update(
            state=OutboxEvent.IN_FLIGHT,
            claimed_at=now,
            claimed_by=token,
            attempts=F("attempts") + 1,
            reclaims=Case(
                When(state=OutboxEvent.IN_FLIGHT, then=F("reclaims") + 1),
                default=F("reclaims"),
                output_field=PositiveIntegerField(),
            ),
        )
    rows = list(manager.filter(claimed_by=token, state=OutboxEvent.IN_FLIGHT).order_by("id"))
    if expired:
        logger.warning("claimed %d outbox row(s) again whose worker's lease expired", expired)
    return token, rows, expired


class _Outcome:
    """Rows sorted by what happened to them during one claim."""

    def __init__(self) -> None:
        self.delivered: list[OutboxEvent] = []
        self.deferred: list[tuple[OutboxEvent, str]] = []
        self.dead: list[tuple[OutboxEvent, str]] = []
        #: rows not sent because the backend is misconfigured, and why
        self.held: list[tuple[OutboxEvent, str]] = []
        self.calls = 0
        #: the longest wait a backend asked for (a throttle's Retry-After), in seconds
        self.retry_after = 0.0

    def add(self, sent: SendOutcome[OutboxEvent]) -> None:
        self.delivered.extend(sent.delivered)
        self.deferred.extend((row, _describe(err)) for row, err in sent.retry)
        self.dead.extend((row, _describe(err)) for row, err in sent.dead)
        if sent.config_error is not None:
            reason = _configuration_reason(sent.config_error)
            self.held.extend((row, reason) for row in sent.held)
        self.calls += sent.calls
        self.retry_after = max(self.retry_after, sent.retry_after)


def _configuration_reason(err: ConfigurationError) -> str:
    """The ``last_error`` of a row a configuration error holds back (what
    :func:`held_by_configuration` looks for)."""
    return f"{CONFIGURATION_ERROR_PREFIX} ({type(err).__name__}): {err}"[:_MAX_ERROR_LENGTH]


def _held_back(rows: list[OutboxEvent], err: ConfigurationError) -> _Outcome:
    """The outcome of claimed ``rows`` when no backend could be built: all held."""
    outcome = _Outcome()
    reason = _configuration_reason(err)
    outcome.held = [(row, reason) for row in rows]
    return outcome


def _describe(err: BaseException) -> str:
    # Stored and shown in the admin: a service's error text may quote a request's
    # Authorization header or a key, so credentials are masked before the cut.
    text = redact_text(f"{type(err).__name__}: {err}")
    return text[:_MAX_ERROR_LENGTH]


def _latest_per_id(
    pairs: list[tuple[OutboxEvent, Any]], id_attr: str
) -> tuple[list[tuple[OutboxEvent, Any]], dict[int, list[OutboxEvent]]]:
    """Several saves of one item (or user) in a claim: only the newest is sent
    (Put* replaces the record). Returns the pairs to send and, per newest row,
    the older rows that share its fate."""
    latest: dict[str, tuple[OutboxEvent, Any]] = {}
    older: dict[str, list[OutboxEvent]] = {}
    for row, record in pairs:  # rows come oldest first
        key = getattr(record, id_attr)
        if key in latest:
            older.setdefault(key, []).append(latest[key][0])
        latest[key] = (row, record)
    followers = {latest[key][0].pk: rows for key, rows in older.items()}
    return list(latest.values()), followers


def _follow(outcome: _Outcome, followers: dict[int, list[OutboxEvent]]) -> None:
    if not followers:
        return
    for row in list(outcome.delivered):
        outcome.delivered.extend(followers.get(row.pk, ()))
    for target in (outcome.deferred, outcome.dead, outcome.held):
        for row, reason in list(target):
            target.extend((old, reason) for old in followers.get(row.pk, ()))


def deliver_rows(rows: list[OutboxEvent], backend: Backend) -> _Outcome:
    """Send claimed ``rows`` to ``backend`` (no database writes here)."""
    outcome = _Outcome()
    by_kind: dict[str, list[tuple[OutboxEvent, Any]]] = {}
    for row in rows:
        cls = _RECORD_CLASSES.get(row.kind)
        try:
            if cls is None:
                raise ValueError(f"unknown kind {row.kind!r}")
            record = cls.from_dict(row.payload)
        except (InvalidRecordError, TypeError, ValueError) as err:
            outcome.dead.append((row, f"payload does not decode: {_describe(err)}"))
            continue
        by_kind.setdefault(row.kind, []).append((row, record))

    followers: dict[int, list[OutboxEvent]] = {}
    for kind, id_attr in (
        (OutboxEvent.KIND_EVENT, None),
        (OutboxEvent.KIND_ITEM, "item_id"),
        (OutboxEvent.KIND_USER, "user_id"),
    ):
        pairs = by_kind.get(kind, [])
        if not pairs:
            continue
        if id_attr is not None:
            pairs, older = _latest_per_id(pairs, id_attr)
            followers.update(older)
        outcome.add(send(backend, _SDK_KINDS[kind], pairs))
    _follow(outcome, followers)
    return outcome


def _apply(outcome: _Outcome, token: str, db: str, report: DeliveryReport) -> None:
    """Write the outcome of one claim to the outbox."""
    now = timezone.now()
    manager = OutboxEvent.objects.using(db)
    if outcome.delivered:
        ids = [row.pk for row in outcome.delivered]
        mine = manager.filter(id__in=ids, claimed_by=token)
        if personalize_settings.KEEP_DELIVERED:
            mine.update(state=OutboxEvent.DELIVERED, delivered_at=now, last_error="")
        else:
            mine.delete()
        report.delivered += len(ids)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for row in outcome.delivered:
            by_kind.setdefault(row.kind, []).append(row.payload)
        for kind, payloads in by_kind.items():
            delivered.send(sender=OutboxEvent, kind=kind, count=len(payloads), payloads=payloads)
    if outcome.held:
        _hold(outcome.held, token, db, report)

    max_attempts = personalize_settings.MAX_ATTEMPTS
    dead = list(outcome.dead)
    retry_groups: dict[tuple[int, str], list[int]] = {}
    for row, reason in outcome.deferred:
        if row.attempts >= max_attempts:
            dead.append((row, f"gave up after {row.attempts} attempts; last error: {reason}"))
        else:
            retry_groups.setdefault((row.attempts, reason), []).append(row.pk)
    for (attempts, reason), ids in retry_groups.items():
        # the backoff, or longer if the backend said when to come back
        when = now + timedelta(seconds=max(backoff_delay(attempts), outcome.retry_after))
        manager.filter(id__in=ids, claimed_by=token).update(
            state=OutboxEvent.PENDING, next_attempt_at=when, last_error=reason, claimed_by=""
        )
        report.deferred += len(ids)
        if report.next_attempt_at is None or when < report.next_attempt_at:
            report.next_attempt_at = when
    by_reason: dict[str, list[OutboxEvent]] = {}
    for row, reason in dead:
        by_reason.setdefault(reason, []).append(row)
    for reason, rows in by_reason.items():
        manager.filter(id__in=[r.pk for r in rows], claimed_by=token).update(
            state=OutboxEvent.DEAD, last_error=reason
        )
        logger.warning("%d outbox row(s) became dead letters: %s", len(rows), reason)
        dead_lettered.send(sender=OutboxEvent, rows=rows, reason=reason)
        report.dead += len(rows)


def _hold(held: list[tuple[OutboxEvent, str]], token: str, db: str, report: DeliveryReport) -> None:
    """Put rows back as they were before the claim (the attempt is given
    back), to be tried again after ``RETRY_MAX_DELAY``, and say so loudly."""
    when = timezone.now() + timedelta(seconds=personalize_settings.RETRY_MAX_DELAY)
    by_reason: dict[str, list[int]] = {}
    for row, reason in held:
        by_reason.setdefault(reason, []).append(row.pk)
    manager = OutboxEvent.objects.using(db)
    for reason, ids in by_reason.items():
        manager.filter(id__in=ids, claimed_by=token).update(
            state=OutboxEvent.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=when,
            last_error=reason,
            claimed_by="",
        )
        logger.error(
            "%d outbox row(s) held back, not delivered, because the backend is misconfigured: "
            "%s. Fix PERSONALIZE['BACKEND'] / PERSONALIZE['OPTIONS'] (personalize_check shows "
            "the rows); they are tried again every RETRY_MAX_DELAY seconds, and never become "
            "dead letters for this.",
            len(ids),
            reason,
        )
        report.held += len(ids)
        if report.next_attempt_at is None or when < report.next_attempt_at:
            report.next_attempt_at = when


def held_by_configuration(*, using: str | None = None) -> list[tuple[str, int]]:
    """``(error, rows)`` for the pending rows a configuration error holds
    back, most rows first (empty when there are none)."""
    db = using or outbox_db()
    rows = (
        OutboxEvent.objects.using(db)
        .filter(state=OutboxEvent.PENDING, last_error__startswith=CONFIGURATION_ERROR_PREFIX)
        .values("last_error")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return [(entry["last_error"], entry["n"]) for entry in rows]


def deliver_pending(
    *,
    using: str | None = None,
    backend: Backend | None = None,
    batch_size: int | None = None,
    max_rows: int | None = None,
    time_limit: float | None = None,
    worker: str | None = None,
) -> DeliveryReport:
    """Deliver due rows until none is left, ``max_rows`` were claimed or
    ``time_limit`` seconds (default ``DELIVERY_TIME_LIMIT``) passed.

    A backend that cannot even be built from the settings (a
    ``ConfigurationError``) holds the due rows pending, as a configuration
    error of a backend call does: logged, shown by ``personalize_check``,
    never dead letters."""
    db = using or outbox_db()
    unbuilt: ConfigurationError | None = None
    if backend is None:
        try:
            backend = get_backend()
        except ConfigurationError as err:
            unbuilt = err
    batch_size = batch_size or personalize_settings.BATCH_SIZE
    limit = personalize_settings.DELIVERY_TIME_LIMIT if time_limit is None else time_limit
    deadline = time.monotonic() + limit
    report = DeliveryReport()
    while True:
        want = batch_size if max_rows is None else min(batch_size, max_rows - report.claimed)
        if want <= 0:
            break
        token, rows, reclaimed = claim(want, using=db, worker=worker)
        if not rows:
            break
        report.claimed += len(rows)
        report.reclaimed += reclaimed
        outcome = _held_back(rows, unbuilt) if unbuilt is not None else deliver_rows(rows, backend)
        report.calls += outcome.calls
        _apply(outcome, token, db, report)
        if time.monotonic() >= deadline:
            report.out_of_time = True
            break
    return report


def prune_delivered(*, using: str | None = None, older_than: float | None = None) -> int:
    """Delete delivered rows older than ``KEEP_DELIVERED`` seconds; returns how many."""
    db = using or outbox_db()
    keep = personalize_settings.KEEP_DELIVERED if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=keep)
    deleted, _ = (
        OutboxEvent.objects.using(db)
        .filter(state=OutboxEvent.DELIVERED, delivered_at__lt=cutoff)
        .delete()
    )
    return deleted


def next_due(*, using: str | None = None) -> datetime | None:
    """When the earliest pending row becomes due (``None``: nothing pending)."""
    db = using or outbox_db()
    return (
        OutboxEvent.objects.using(db)
        .filter(state=OutboxEvent.PENDING)
        .aggregate(t=Min("next_attempt_at"))["t"]
    )


def state_counts(*, using: str | None = None) -> dict[str, int]:
    """Rows per state (every state present, zeros included)."""
    db = using or outbox_db()
    counts = {state: 0 for state, _ in OutboxEvent.STATE_CHOICES}
    for entry in OutboxEvent.objects.using(db).values("state").annotate(n=Count("id")).order_by():
        counts[entry["state"]] = entry["n"]
    return counts
