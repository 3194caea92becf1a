"""Model signal receivers: saves and deletes of registered models reach the outbox.

Receivers are connected per model when it is registered: :func:`install`
(called by the app's ``ready()``) listens to the registry (see
:mod:`personalize_django.registry`). They check ``ENABLED`` at call time. They
write in the same transaction as the save, so a rolled-back save queues
nothing. Bad *data* (a property too long for Personalize) is logged and
skipped, so a shop's save never fails because of us; a wrong registration
(an attribute path that does not exist) raises, because only a person can
fix it, and the system checks report it at start-up.

Items are written through :func:`resync`: inside a transaction, an item's
outbox row is written at its first save and brought up to date by every
later save of the item or of a row it ``depends_on`` in the same
transaction, so the item is sent once, as it is once everything is saved (a
product saved before its stock records and categories is sent with them).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections, transaction
from django.db.models.signals import post_delete, post_save, pre_delete

from personalize_sdk import InvalidRecordError, Item

from .conf import personalize_settings
from .context import current_request, get_session_id, get_user_id, has_consent, pop_guest_activity
from .models import OutboxEvent
from .outbox.waking import schedule_on_commit
from .outbox.writing import insert_row, outbox_db
from .recording import queue_items, queue_users, record_event
from .registry import properties_of, registry, resolve, session_from

logger = logging.getLogger("personalize_django")

#: saves touching only these fields are not catalogue changes (login updates last_login)
IGNORED_UPDATE_FIELDS = frozenset({"last_login"})


def _uid(kind: str, model: type) -> str:
    return f"personalize_django.{kind}.{model._meta.label_lower}"


def connect(model: type) -> None:
    post_save.connect(on_save, sender=model, dispatch_uid=_uid("save", model))
    pre_delete.connect(on_delete, sender=model, dispatch_uid=_uid("delete", model))
    # A dependency's row is gone only after the delete: the item is re-read then.
    post_delete.connect(on_dependency_deleted, sender=model, dispatch_uid=_uid("deleted", model))


def disconnect(model: type) -> None:
    post_save.disconnect(sender=model, dispatch_uid=_uid("save", model))
    pre_delete.disconnect(sender=model, dispatch_uid=_uid("delete", model))
    post_delete.disconnect(sender=model, dispatch_uid=_uid("deleted", model))


def follow_registration(model: type, registered: bool) -> None:
    """The registry's listener: (dis)connect ``model`` as its registrations change."""
    if registered:
        connect(model)
    else:
        disconnect(model)


def install() -> None:
    """Connect the registered models now and every model registered later
    (idempotent: called by the app's ``ready()``)."""
    if follow_registration not in registry.listeners:
        registry.listeners.append(follow_registration)
    for model in registry.models():
        connect(model)


def on_save(
    sender: type,
    instance: Any,
    created: bool,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """Queue the item or user, and record the events the registration maps."""
    if raw or not personalize_settings.ENABLED:
        return  # fixtures load raw rows; they are synced by personalize_sync
    if update_fields and set(update_fields) <= IGNORED_UPDATE_FIELDS:
        return
    if sender in registry.items:
        resync(instance)
    _resync_dependents(sender, instance)
    try:
        user_reg = registry.users.get(sender)
        if user_reg is not None:
            queue_users([user_reg.to_user(instance)])
    except InvalidRecordError:
        logger.exception(
            "not syncing %s %s: its record is invalid", sender._meta.label, instance.pk
        )
    for reg in registry.events.get(sender, ()):
        if reg.applies(instance, created):
            _record_model_event(reg, instance)


def on_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    """A deleted item is sent as unavailable (computed before the row goes, so
    its relations still resolve; queued in the delete's transaction)."""
    if not personalize_settings.ENABLED:
        return
    if sender in registry.items:
        resync(instance, deleted=True)
        # Its dependent rows go first (a cascade), and must not re-send it as alive.
        _deleting.add((sender, str(instance.pk)))


def on_dependency_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    """A row an item ``depends_on`` was deleted: re-send the item without it.
    (Connected for every registered model: an item's own post_delete ends
    its deletion.)"""
    _deleting.discard((sender, str(instance.pk)))
    if personalize_settings.ENABLED:
        _resync_dependents(sender, instance)


#: (model, pk) of the items being deleted, between their pre_ and post_delete
_deleting: set[tuple[type, str]] = set()


def _resync_dependents(sender: type, instance: Any) -> None:
    reg = registry.dependencies.get(sender)
    if reg is not None:
        for item in reg.items_depending_on(instance):
            if (type(item), str(item.pk)) in _deleting:
                continue
            # Relations prefetched before this save describe the row as it was.
            getattr(item, "_prefetched_objects_cache", {}).clear()
            resync(item)


def resync(instance: Any, *, deleted: bool = False) -> int:
    """Send the item ``instance`` again (a registered item model's row),
    for code that changes what an item is sent with and that ``depends_on``
    cannot see (a raw UPDATE, a price computed elsewhere).

    Inside a transaction the item gets one outbox row per transaction,
    holding its state at the last call; a rolled-back transaction takes it
    away. Rows outside the registration's ``queryset`` are not items and send
    nothing. Returns 1 if a row was written or updated, 0 otherwise (recording
    disabled, not an item, or an invalid record, which is logged)."""
    reg = registry.items.get(type(instance))
    if reg is None:
        raise TypeError(
            f"resync() takes an instance of the registered item model, not {instance!r}"
        )
    # (A deletion is seen before the row goes, so the queryset still finds it.)
    if not personalize_settings.ENABLED or not reg.is_item(instance):
        return 0
    try:
        item = reg.to_item(instance, deleted=deleted)
    except InvalidRecordError:
        logger.exception(
            "not syncing %s %s: its record is invalid", reg.model._meta.label, instance.pk
        )
        return 0
    return _write_item(item)


def _write_item(item: Item) -> int:
    db = outbox_db()
    connection = connections[db]
    if not connection.in_atomic_block:
        return queue_items([item])  # autocommit: each save is its own transaction
    pending = _pending_items(db, connection)
    record_id = pending.get(item.item_id)
    payload = item.to_dict()
    if record_id is not None:
        updated = (
            OutboxEvent.objects.using(db)
            .filter(record_id=record_id, state=OutboxEvent.PENDING)
            .update(payload=payload)
        )
        if updated:
            return 1
    # First save in this transaction (or the earlier row was rolled back).
    pending[item.item_id] = record_id = OutboxEvent._meta.get_field("record_id").get_default()
    insert_row(db, OutboxEvent.KIND_ITEM, record_id, payload, connection)
    transaction.on_commit(pending.clear, using=db)
    schedule_on_commit(db, connection)
    return 1


def _pending_items(db: str, connection: Any) -> dict[str, str]:
    """{item id: record id} of the items written in the current transaction
    (kept on the connection, which is per thread; emptied on commit, and
    harmless when a rollback leaves it behind: its rows are gone)."""
    pending = getattr(connection, "_personalize_pending_items", None)
    if pending is None:
        pending = connection._personalize_pending_items = {}
    return pending


def _record_model_event(reg: Any, instance: Any) -> None:
    user_id, session_id = model_event_people(reg, instance, current_request())
    if session_id is False:
        return
    event_type = reg.event_type_for(instance)
    try:
        record_event(
            event_type,
            item=registry.item_id_for(resolve(instance, reg.item)),
            user=user_id,
            session_id=session_id,
            value=resolve(instance, reg.value),
            properties=_event_properties(instance, reg.properties),
            event_id=reg.event_id_for(instance, event_type),
        )
    except InvalidRecordError:
        logger.exception(
            "not recording %s for %s %s", event_type, reg.model._meta.label, instance.pk
        )


def model_event_people(reg: Any, instance: Any, request: Any = None) -> tuple[Any, Any]:
    """``(user id, session id)`` of the event ``reg`` maps ``instance`` to:
    the ``session`` spec, else the request's session when it is the same
    person (or a guest checking out), else ``fallback_session``, else the
    row's own id when nobody is known. The session is ``False`` when the
    request's shopper gave no consent (record nothing)."""
    user_id = registry.user_id_for(resolve(instance, reg.user))
    session_id = resolve(instance, reg.session)
    if request is not None:
        if not has_consent(request):
            return user_id, False
        # The shop's request is the session this event happened in, when it is
        # the same person (or a guest checking out).
        request_user = get_user_id(request)
        if session_id is None and (user_id is None or request_user in (None, user_id)):
            session_id = get_session_id(request)
            user_id = user_id or request_user
    if session_id is None:
        # Outside the shopper's request (a worker, an import): the order the
        # line belongs to is the session, not the user's lifetime.
        session_id = session_from(resolve(instance, reg.fallback_session))
    if session_id is None and user_id is None:
        # Nobody to attach it to (a guest order made outside a request): still
        # worth recording for popularity; the row's own id stands in as session.
        session_id = f"{reg.model._meta.label_lower}-{instance.pk}"
    return user_id, session_id


def _event_properties(instance: Any, spec: Any) -> dict[str, Any] | None:
    props = properties_of(instance, spec)
    return props or None


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Join the guest's history to the user: record ``LOGIN_EVENT_TYPE`` with
    the (surviving) session id and the user id, if the guest recorded anything."""
    event_type = personalize_settings.LOGIN_EVENT_TYPE
    if not event_type or request is None or not personalize_settings.ENABLED:
        return
    if not pop_guest_activity(request):
        return
    try:
        record_event(event_type, request=request, user=user)
    except InvalidRecordError:
        logger.exception("not recording the login event")
