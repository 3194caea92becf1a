"""Recording: validate now, write one outbox row in the caller's transaction,
and ask for delivery when (and only if) that transaction commits.

The row is written by :mod:`personalize_django.outbox` (its ``writing``
module), delivery is asked for by its ``waking`` module; what else reacts
to a recorded event (the cache of recommendation lists) listens to
:data:`~personalize_django.signals.post_record`.

Nothing else happens on the request path: no backend call, no network.
A rolled-back transaction takes its rows with it, so an order that fails
sends no Purchase.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from django.db import IntegrityError, connections, transaction
from django.http import HttpRequest, HttpResponseBase

from personalize_sdk import Event, InvalidRecordError, Item, User

from . import context
from .after_response import defer
from .conf import personalize_settings
from .models import OutboxEvent
from .outbox.waking import schedule_on_commit
from .outbox.writing import insert_row, insert_rows, outbox_db
from .registry import registry
from .signals import CancelRecord, post_record, pre_record


class EventIdConflictError(InvalidRecordError):
    """An event whose ``event_id`` is already recorded for another event (a
    different user, session, type or item): a conflict with what is stored,
    refused rather than merged."""


logger = logging.getLogger("personalize_django")


def record_event(
    event_type: str,
    *,
    request: HttpRequest | None = None,
    item: Any = None,
    user: Any = None,
    session_id: str | None = None,
    value: Any = None,
    properties: Mapping[str, Any] | None = None,
    recommendation_id: str | None = None,
    impression: Sequence[Any] | None = None,
    sent_at: datetime | None = None,
    event_id: str | None = None,
    after_response: HttpResponseBase | None = None,
) -> Event | None:
    """Record one event; returns it, or ``None`` if nothing was recorded
    (recording disabled, no consent, cancelled by a ``pre_record`` receiver,
    or an explicit ``event_id`` that was already recorded).

    ``item`` and ``user`` are model instances (registered or not) or ids. With
    a ``request``, the user and the session come from it (``user`` and
    ``session_id`` win when given) and ``CONSENT`` is asked. Without a session
    id from anywhere, one is derived from the user id ("user-<id>").

    The event is validated here, so bad input raises
    :class:`~personalize_sdk.InvalidRecordError` at the call site, naming the
    field. The outbox row is written in the current transaction (on the
    outbox database); delivery is queued when it commits. With
    ``after_response``, everything that needs the request happens now and the
    row is written once that response has been sent (see
    :mod:`personalize_django.after_response`); a failure then is logged.
    """
    if not personalize_settings.ENABLED:
        return None
    if request is not None and not context.has_consent(request):
        return None
    user_id = registry.user_id_for(user)
    if user_id is None and request is not None:
        user_id = context.get_user_id(request)
    if session_id is None and request is not None:
        session_id = context.get_session_id(request)
    if session_id is None and user_id is not None:
        session_id = f"user-{user_id}"
    if session_id is None:
        raise InvalidRecordError(
            "session_id",
            "is required: pass request=, session_id= or user= to derive it from",
            record="Event",
        )
    event = Event(
        event_type,
        session_id=session_id,
        item_id=registry.item_id_for(item),
        user_id=user_id,
        sent_at=sent_at,
        event_value=value,
        properties=properties,
        impression=[registry.item_id_for(i) for i in impression]
        if impression is not None
        else None,
        recommendation_id=recommendation_id,
        event_id=event_id,
    )
    try:
        pre_record.send(sender=Event, event=event, request=request)
    except CancelRecord as reason:
        logger.debug("event %s cancelled by a pre_record receiver: %s", event.event_id, reason)
        return None
    if request is not None and user_id is None:
        # Before the response: the flag lives in the session, saved with it.
        context.mark_guest_activity(request)
    chosen_id = event_id is not None
    if after_response is not None:
        defer(
            after_response,
            functools.partial(write_event, event, request=request, chosen_id=chosen_id),
            f"recording {event.event_type} {event.event_id} of item {event.item_id}",
        )
        return event
    return write_event(event, request=request, chosen_id=chosen_id)


def write_event(
    event: Event, *, request: HttpRequest | None = None, chosen_id: bool = False
) -> Event | None:
    """Write ``event`` (checked by :func:`record_event`) to the outbox in the current
    transaction, queue its delivery on commit and send ``post_record``.
    ``chosen_id``: the caller chose the event id, so it may come again (a
    client retrying); returns ``None`` if it was recorded already."""
    db = outbox_db()
    connection = connections[db]
    payload = event.to_dict()
    if not chosen_id:
        outbox_id = insert_row(db, OutboxEvent.KIND_EVENT, event.event_id, payload, connection)
    else:
        # Recording a repeated id is a no-op, and the savepoint keeps the
        # caller's transaction usable.
        try:
            with transaction.atomic(using=db):
                outbox_id = insert_row(
                    db, OutboxEvent.KIND_EVENT, event.event_id, payload, connection
                )
        except IntegrityError:
            stored = (
                OutboxEvent.objects.using(db)
                .filter(record_id=event.event_id)
                .values_list("payload", flat=True)
                .first()
            )
            if stored is None:
                raise
            if _same_event(stored, payload):
                logger.debug("event %s was already recorded", event.event_id)
                return None
            # Another event under this id: never merged (that would let one
            # client's id stand for another's event), refused loudly.
            logger.warning(
                "refused event %s: its id is already recorded for another event "
                "(a different user, session, type or item)",
                event.event_id,
            )
            raise EventIdConflictError(
                "event_id",
                "is already recorded for another event (a different user, session, type or item)",
                record="Event",
            ) from None
    schedule_on_commit(db, connection)
    post_record.send(sender=Event, event=event, request=request, outbox_id=outbox_id)
    return event


#: what makes two events with one id the same event (a retry), not a collision
SAME_EVENT_FIELDS = ("event_type", "user_id", "session_id", "item_id")


def _same_event(stored: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    return all(stored.get(name) == payload.get(name) for name in SAME_EVENT_FIELDS)


def queue_items(items: Iterable[Item], *, batch_size: int = 500) -> int:
    """Queue catalogue items (create or replace); returns how many."""
    return _queue(OutboxEvent.KIND_ITEM, items, batch_size)


def queue_users(users: Iterable[User], *, batch_size: int = 500) -> int:
    """Queue users (create or replace); returns how many."""
    return _queue(OutboxEvent.KIND_USER, users, batch_size)


def _queue(kind: str, records: Iterable[Item | User], batch_size: int) -> int:
    if not personalize_settings.ENABLED:
        return 0
    db = outbox_db()
    count = insert_rows(db, kind, records, batch_size)
    if count:
        schedule_on_commit(db)
    return count


