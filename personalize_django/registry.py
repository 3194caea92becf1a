"""Which shop models are items, users and events.

Each installed app may have a ``personalize.py`` module, discovered at start-up
the way ``admin.py`` is::

    # shop/personalize.py
    import personalize_django as personalize
    from .models import CartLine, OrderLine, Product

    personalize.register_item(
        Product,
        properties={"CATEGORY_L1": "category.name", "PRICE": "price"},
        available="in_stock",
    )
    personalize.register_user(get_user_model())
    personalize.register_event(OrderLine, event_type="Purchase",
                               user="order.customer", item="product", value="price")
    personalize.register_event(CartLine, event_type="AddToCart", user="cart.user", item="product")

A *spec* (:mod:`personalize_django.specs`: for ``id_field``, ``available``,
``user``, ``item``, ``session``, ``value`` and each property) is either a callable taking the instance, or an
attribute path (``"order.customer"`` or ``"order__customer"``; a method at the
end of the path is called). Paths follow single-valued relations only: the
system checks reject a to-many segment (``"categories"``), since its value is
a manager, not a value. ``available`` may also be a callable taking the
instance and the request (``None`` when syncing), for shops whose
availability depends on the shopper.

An item whose data lives partly in other models (stock records, category
links) names them in ``depends_on``: saving or deleting such a row re-sends
the item, once per transaction, after all the related saves (see
:func:`personalize_django.receivers.resync`). Registering tells the registry's listeners:
:mod:`personalize_django.receivers` (installed by the app's ``ready()``)
connects the model's signals, so saves and deletes are queued.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac
from django.db import models

from personalize_sdk import Item, User

from .specs import (  # noqa: F401  (re-exported: registry.* names of old)
    check_spec,
    properties_of,
    property_key,
    property_specs,
    property_value,
    resolve,
    session_from,
    takes_request,
)

#: the ``on`` values of :func:`register_event` ("import": only
#: ``personalize_import_history`` records it, never a save)
EVENT_TRIGGERS = ("create", "save", "import")

#: an ISO 4217 currency code, as ``currency=`` takes it
CURRENCY_CODE = re.compile(r"[A-Z]{3}")

#: salt of the deterministic event ids of model events (HMAC of SECRET_KEY)
EVENT_ID_SALT = "personalize_django.registry.event_id"


@dataclass
class ItemRegistration:
    """How a model becomes a catalogue :class:`~personalize_sdk.Item`."""

    model: type[models.Model]
    id_field: Any = "pk"
    properties: Any = None
    available: Any = None
    #: a QuerySet, or a callable (request) -> QuerySet: the rows that are items
    queryset: Any = None
    #: ISO 4217 code of PRICE (sent as the CURRENCY property), or a spec
    currency: Any = None
    #: {related model: spec resolving, from one of its rows, to the item(s)}
    depends_on: dict[type, Any] = field(default_factory=dict)

    def item_id(self, instance: Any) -> str:
        return str(resolve(instance, self.id_field))

    def specs(self) -> list[Any]:
        """The specs a row is read by (its id, availability, currency, properties)."""
        return [self.id_field, self.available, self.currency, *property_specs(self.properties)]

    def is_available(self, instance: Any, request: Any = None) -> bool:
        """Whether ``instance`` may be recommended (to the shopper of
        ``request``, when ``available`` takes it; ``None`` when syncing)."""
        if self.available is None:
            return True
        if callable(self.available) and takes_request(self.available):
            return bool(self.available(instance, request))
        return bool(resolve(instance, self.available))

    def get_queryset(self, request: Any = None) -> models.QuerySet:
        """The rows that are items: ``queryset`` (called with ``request`` if
        it is a callable), or the model's default manager."""
        qs = self.queryset
        if qs is None:
            return self.model._default_manager.all()
        if callable(qs) and not isinstance(qs, (models.QuerySet, models.Manager)):
            qs = qs(request)
        return qs.all()

    def is_item(self, instance: Any) -> bool:
        """Whether ``instance`` is one of the rows of ``queryset`` (one query
        when a queryset is registered; rows outside it are never sent)."""
        if self.queryset is None:
            return True
        return self.get_queryset().filter(pk=instance.pk).exists()

    def to_item(self, instance: Any, *, deleted: bool = False) -> Item:
        """The item record; a deleted instance is sent as unavailable (Personalize
        has no delete for single items: the availability filter drops it)."""
        props = properties_of(instance, self.properties)
        if self.currency is not None:
            currency = (
                self.currency
                if isinstance(self.currency, str) and CURRENCY_CODE.fullmatch(self.currency)
                else resolve(instance, self.currency)
            )
            if currency:
                props["currency"] = str(currency)
        if self.available is not None or deleted:
            props["available"] = "False" if deleted else property_value(self.is_available(instance))
        return Item(self.item_id(instance), props or None)

    def items_depending_on(self, instance: Any) -> list[Any]:
        """The item instances a row of a ``depends_on`` model belongs to."""
        spec = self.depends_on.get(type(instance))
        if spec is None:
            return []
        value = resolve(instance, spec)
        if value is None:
            return []
        if isinstance(value, models.Manager):
            value = value.all()
        if isinstance(value, models.Model):
            value = [value]
        return [obj for obj in value if isinstance(obj, self.model)]


@dataclass
class UserRegistration:
    """How a model becomes a :class:`~personalize_sdk.User`."""

    model: type[models.Model]
    id_field: Any = "pk"
    properties: Any = None

    def user_id(self, instance: Any) -> str:
        return str(resolve(instance, self.id_field))

    def specs(self) -> list[Any]:
        """The specs a row is read by (its id and properties)."""
        return [self.id_field, *property_specs(self.properties)]

    def to_user(self, instance: Any) -> User:
        return User(self.user_id(instance), properties_of(instance, self.properties) or None)


@dataclass
class EventRegistration:
    """Which event a model's saves mean."""

    model: type[models.Model]
    event_type: Any
    item: Any
    user: Any = None
    session: Any = None
    value: Any = None
    properties: Any = None
    on: str = "create"
    when: Callable[[Any, bool], bool] | None = None
    #: spec of the session used outside a request (an order line: its order)
    fallback_session: Any = None
    #: spec of when it happened (``personalize_import_history`` sends it)
    timestamp: Any = None

    def applies(self, instance: Any, created: bool) -> bool:
        if self.on == "import" or (self.on == "create" and not created):
            return False
        return self.when is None or bool(self.when(instance, created))

    def imports(self, instance: Any) -> bool:
        """Whether ``personalize_import_history`` records this row."""
        if self.on == "save":
            return False  # one event per save: history does not say how many
        return self.when is None or bool(self.when(instance, True))

    def event_type_for(self, instance: Any) -> str:
        return self.event_type(instance) if callable(self.event_type) else self.event_type

    def event_id_for(self, instance: Any, event_type: str) -> str | None:
        """A deterministic id for create events (so a re-run can never queue the
        same order line twice); ``None`` (random) for per-save events."""
        if self.on == "save":
            return None
        label = self.model._meta.label_lower
        # Keyed by the installation's SECRET_KEY: nobody outside can compute
        # the id of the next order line's Purchase (the pks are sequential).
        key = salted_hmac(EVENT_ID_SALT, f"{label}:{instance.pk}:{event_type}").digest()
        return uuid.UUID(bytes=key[:16], version=5).hex


@dataclass
class Registry:
    """The registrations of this process (one module-level instance: :data:`registry`)."""

    items: dict[type, ItemRegistration] = field(default_factory=dict)
    users: dict[type, UserRegistration] = field(default_factory=dict)
    events: dict[type, list[EventRegistration]] = field(default_factory=dict)
    #: models named in an item registration's ``depends_on``
    dependencies: dict[type, ItemRegistration] = field(default_factory=dict)
    #: called with ``(model, registered)`` whenever a model's registrations change
    listeners: list[Callable[[type, bool], None]] = field(default_factory=list)

    def changed(self, model: type) -> None:
        """Tell the listeners whether ``model`` is registered now."""
        registered = model in self.models()
        for listener in self.listeners:
            listener(model, registered)

    def item_registration(self, model: type | None = None) -> ItemRegistration | None:
        """The registration of ``model``, or the (first) item registration."""
        if model is not None:
            return self.items.get(model)
        return next(iter(self.items.values()), None)

    def user_registration(self, model: type | None = None) -> UserRegistration | None:
        if model is not None:
            return self.users.get(model)
        return next(iter(self.users.values()), None)

    def item_id_for(self, value: Any) -> str | None:
        """An item id from a registered item instance, any model instance (its pk) or an id."""
        if value is None:
            return None
        if isinstance(value, models.Model):
            reg = self.items.get(type(value))
            return reg.item_id(value) if reg else str(value.pk)
        return str(value)

    def user_id_for(self, value: Any) -> str | None:
        """A user id from a registered user instance, any model instance (its pk) or an id."""
        if value is None:
            return None
        if isinstance(value, models.Model):
            reg = self.users.get(type(value))
            return reg.user_id(value) if reg else str(value.pk)
        return str(value)

    def models(self) -> set[type]:
        return set(self.items) | set(self.users) | set(self.events) | set(self.dependencies)

    def reset(self) -> None:
        """Forget every registration and disconnect the signals (tests)."""
        models_ = self.models()
        self.items.clear()
        self.users.clear()
        self.events.clear()
        self.dependencies.clear()
        for model in models_:
            self.changed(model)


#: the registrations of this process
registry = Registry()


def _check_model(model: Any) -> None:
    if not (isinstance(model, type) and issubclass(model, models.Model)):
        raise TypeError(f"expected a model class, not {model!r}")


def register_item(
    model: type[models.Model],
    *,
    id_field: Any = "pk",
    properties: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    available: Any = None,
    queryset: Any = None,
    currency: Any = None,
    depends_on: Mapping[type[models.Model], Any] | None = None,
) -> ItemRegistration:
    """Make ``model`` the catalogue. ``properties`` maps schema columns
    (``CATEGORY_L1``, ``PRICE``...) to specs, or is a callable returning that
    mapping's values; ``available`` is a spec whose truth says whether the item
    may be recommended (sent as the ``AVAILABLE`` property), or a callable
    ``(instance, request)``. Saves queue the item; deletes queue it as
    unavailable.

    ``queryset`` (a QuerySet, or a callable ``(request) -> QuerySet``) limits
    which rows are items: saves of other rows send nothing, and
    recommendations are loaded from it. ``currency`` is the ISO 4217 code of
    PRICE (``"EUR"``), or a spec of it, sent as the ``CURRENCY`` property
    (PRICE is sent as a number in that currency, never converted).
    ``depends_on`` maps other models to a spec resolving from one of their
    rows to the item (or items): their saves and deletes re-send it."""
    _check_model(model)
    check_spec(id_field, "id_field", optional=False)
    check_spec(available, "available")
    check_spec(currency, "currency")
    if queryset is not None and not (
        callable(queryset) or isinstance(queryset, (models.QuerySet, models.Manager))
    ):
        raise TypeError(
            f"queryset must be a QuerySet or a callable (request) -> QuerySet, not {queryset!r}"
        )
    if isinstance(queryset, (models.QuerySet, models.Manager)) and queryset.model is not model:
        raise TypeError(
            f"queryset must be of {model._meta.label}, not of {queryset.model._meta.label}"
        )
    for dependency, spec in dict(depends_on or {}).items():
        _check_model(dependency)
        check_spec(spec, f"depends_on[{dependency.__name__}]", optional=False)
    if properties is not None and not callable(properties):
        if not isinstance(properties, Mapping):
            raise TypeError("properties must be a mapping of column to spec, or a callable")
        for column, spec in properties.items():
            check_spec(spec, f"properties[{column!r}]", optional=False)
    others = [m for m in registry.items if m is not model]
    if others:
        raise ImproperlyConfigured(
            f"Cannot register {model._meta.label} as the item model: {others[0]._meta.label} "
            "already is "
            "(Personalize has one Items dataset per dataset group)"
        )
    reg = ItemRegistration(
        model, id_field, properties, available, queryset, currency, dict(depends_on or {})
    )
    for old in [m for m, r in registry.dependencies.items() if r.model is model]:
        del registry.dependencies[old]
        registry.changed(old)
    registry.items[model] = reg
    _connect(model)
    for dependency in reg.depends_on:
        registry.dependencies[dependency] = reg
        _connect(dependency)
    return reg


def register_user(
    model: type[models.Model],
    *,
    id_field: Any = "pk",
    properties: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
) -> UserRegistration:
    """Make ``model`` the users; saves queue the user (with ``properties``)."""
    _check_model(model)
    check_spec(id_field, "id_field", optional=False)
    if properties is not None and not callable(properties) and not isinstance(properties, Mapping):
        raise TypeError("properties must be a mapping of column to spec, or a callable")
    others = [m for m in registry.users if m is not model]
    if others:
        raise ImproperlyConfigured(
            f"Cannot register {model._meta.label} as the user model: {others[0]._meta.label} "
            "already is"
        )
    reg = UserRegistration(model, id_field, properties)
    registry.users[model] = reg
    _connect(model)
    return reg


def register_event(
    model: type[models.Model],
    *,
    event_type: str | Callable[[Any], str],
    item: Any,
    user: Any = None,
    session: Any = None,
    value: Any = None,
    properties: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    on: str = "create",
    when: Callable[[Any, bool], bool] | None = None,
    fallback_session: Any = None,
    timestamp: Any = None,
) -> EventRegistration:
    """Record ``event_type`` when a ``model`` row is created (``on="create"``)
    or on every save (``on="save"``), optionally only ``when(instance,
    created)`` is true. ``item``, ``user``, ``session`` and ``value`` are specs;
    ``user`` and ``item`` may resolve to model instances. Without a ``session``
    spec the session of the current request is used (with
    :class:`~personalize_django.middleware.PersonalizeMiddleware`); outside a
    request, ``fallback_session`` (a spec: ``"order"`` makes each order one
    session, a model instance giving ``"<app_label.model>-<pk>"``), else one
    derived from the user id.

    ``on="import"`` records nothing on saves: only
    ``personalize_import_history`` reads such rows (a history table whose live
    events are recorded some other way, like a signal). ``timestamp`` is a
    spec of when the event happened, sent by that command. Create and import
    events get deterministic ids, so importing twice records nothing new."""
    _check_model(model)
    if not (callable(event_type) or (isinstance(event_type, str) and event_type)):
        raise TypeError(f"event_type must be a non-empty string or a callable, not {event_type!r}")
    check_spec(item, "item", optional=False)
    for name, spec in (
        ("user", user),
        ("session", session),
        ("value", value),
        ("fallback_session", fallback_session),
        ("timestamp", timestamp),
    ):
        check_spec(spec, name)
    if on not in EVENT_TRIGGERS:
        raise ValueError(f"on must be one of {', '.join(EVENT_TRIGGERS)}, not {on!r}")
    if when is not None and not callable(when):
        raise TypeError("when must be a callable (instance, created) -> bool")
    reg = EventRegistration(
        model, event_type, item, user, session, value, properties, on, when,
        fallback_session, timestamp,
    )
    registry.events.setdefault(model, []).append(reg)
    _connect(model)
    return reg


def unregister(model: type[models.Model]) -> None:
    """Forget every registration of ``model`` and disconnect its signals."""
    registry.items.pop(model, None)
    registry.users.pop(model, None)
    registry.events.pop(model, None)
    reg = registry.dependencies.pop(model, None)
    if reg is not None:
        reg.depends_on.pop(model, None)
    for dependency in [m for m, r in registry.dependencies.items() if r.model is model]:
        del registry.dependencies[dependency]
        registry.changed(dependency)
    registry.changed(model)


def _connect(model: type[models.Model]) -> None:
    registry.changed(model)


#: the old private name, still imported by code written against it
_properties = properties_of
