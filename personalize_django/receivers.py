"""Model signal receivers: saves and deletes of registered models reach the outbox.

Receivers are connected per model when it is registered: :func:`install`
(called by the app's ``ready()``) listens to the registry (see
:mod:`personalize_django.registry`). They check ``ENABLED`` at call time. They
write in the same transaction as the save, so a rolled-back save queues
nothing. Bad *data* (a property too long for Personalize) is logged and
skipped, so a shop's save never fails because of us; a wrong registration
(an attribute path that does not exist) raises, because only a person can
fix it, and the system checks report it at start-up.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import post_save, pre_delete

from personalize_sdk import InvalidRecordError

from .conf import personalize_settings
from .context import current_request, get_session_id, get_user_id, has_consent, pop_guest_activity
from .recording import queue_items, queue_users, record_event
from .registry import properties_of, registry, resolve

logger = logging.getLogger("personalize_django")

#: saves touching only these fields are not catalogue changes (login updates last_login)
IGNORED_UPDATE_FIELDS = frozenset({"last_login"})


def _uid(kind: str, model: type) -> str:
    return f"personalize_django.{kind}.{model._meta.label_lower}"


def connect(model: type) -> None:
    post_save.connect(on_save, sender=model, dispatch_uid=_uid("save", model))
    pre_delete.connect(on_delete, sender=model, dispatch_uid=_uid("delete", model))


def disconnect(model: type) -> None:
    post_save.disconnect(sender=model, dispatch_uid=_uid("save", model))
    pre_delete.disconnect(sender=model, dispatch_uid=_uid("delete", model))


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
    try:
        item_reg = registry.items.get(sender)
        if item_reg is not None:
            queue_items([item_reg.to_item(instance)])
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
    item_reg = registry.items.get(sender)
    if item_reg is None:
        return
    try:
        queue_items([item_reg.to_item(instance, deleted=True)])
    except InvalidRecordError:
        logger.exception(
            "not syncing the deletion of %s %s: its record is invalid",
            sender._meta.label,
            instance.pk,
        )


def _record_model_event(reg: Any, instance: Any) -> None:
    user_id = registry.user_id_for(resolve(instance, reg.user))
    session_id = resolve(instance, reg.session)
    request = current_request()
    if request is not None:
        if not has_consent(request):
            return
        # The shop's request is the session this event happened in, when it is
        # the same person (or a guest checking out).
        request_user = get_user_id(request)
        if session_id is None and (user_id is None or request_user in (None, user_id)):
            session_id = get_session_id(request)
            user_id = user_id or request_user
    if session_id is None and user_id is None:
        # Nobody to attach it to (a guest order made outside a request): still
        # worth recording for popularity; the row's own id stands in as session.
        session_id = f"{reg.model._meta.label_lower}-{instance.pk}"
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
