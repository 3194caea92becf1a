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

A *spec* (for ``id_field``, ``available``, ``user``, ``item``, ``session``,
``value`` and each property) is either a callable taking the instance, or an
attribute path (``"order.customer"`` or ``"order__customer"``; a method at the
end of the path is called). Registering tells the registry's listeners:
:mod:`personalize_django.receivers` (installed by the app's ``ready()``)
connects the model's signals, so saves and deletes are queued.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from personalize_sdk import Item, User

#: the ``on`` values of :func:`register_event`
EVENT_TRIGGERS = ("create", "save")

#: namespace of the deterministic event ids of model events (uuid5)
_EVENT_NAMESPACE = uuid.UUID("6c1b5a8e-5f39-4a55-9b4e-0f1f8b7f2a11")


def _check_spec(value: Any, name: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if callable(value):
        return
    if isinstance(value, str) and value:
        return
    raise TypeError(
        f"{name} must be an attribute path (str) or a callable taking the instance, not {value!r}"
    )


def resolve(instance: Any, spec: Any) -> Any:
    """The value ``spec`` names on ``instance`` (see the module docstring)."""
    if spec is None:
        return None
    if callable(spec):
        return spec(instance)
    value = instance
    for part in re.split(r"__|\.", spec):
        if value is None:
            return None
        value = getattr(value, part)
    if (
        callable(value)
        and not isinstance(value, (models.Model, models.Manager))
        and hasattr(value, "__self__")
    ):
        value = value()  # a bound method at the end of the path
    return value


def property_key(column: str) -> str:
    """Personalize's key for a schema column: ``CATEGORY_L1`` -> ``categoryL1``
    (keys that are not UPPER_SNAKE_CASE are kept as they are)."""
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", column):
        return column
    head, *rest = column.lower().split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def property_value(value: Any) -> Any:
    """A value as Personalize's properties want it: booleans as "True"/"False"
    (categorical strings), decimals as floats, times as epoch seconds, lists
    joined with "|"; ``None`` stays ``None`` (the key is left out)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "|".join(str(property_value(v)) for v in value)
    return str(value)


def properties_of(instance: Any, spec: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    raw = (
        spec(instance)
        if callable(spec)
        else {column: resolve(instance, path) for column, path in spec.items()}
    )
    out: dict[str, Any] = {}
    for column, value in dict(raw or {}).items():
        value = property_value(value)
        if value is not None:
            out[property_key(column)] = value
    return out


@dataclass
class ItemRegistration:
    """How a model becomes a catalogue :class:`~personalize_sdk.Item`."""

    model: type[models.Model]
    id_field: Any = "pk"
    properties: Any = None
    available: Any = None

    def item_id(self, instance: Any) -> str:
        return str(resolve(instance, self.id_field))

    def is_available(self, instance: Any) -> bool:
        return True if self.available is None else bool(resolve(instance, self.available))

    def to_item(self, instance: Any, *, deleted: bool = False) -> Item:
        """The item record; a deleted instance is sent as unavailable (Personalize
        has no delete for single items: the availability filter drops it)."""
        props = properties_of(instance, self.properties)
        if self.available is not None or deleted:
            props["available"] = "False" if deleted else property_value(self.is_available(instance))
        return Item(self.item_id(instance), props or None)


@dataclass
class UserRegistration:
    """How a model becomes a :class:`~personalize_sdk.User`."""

    model: type[models.Model]
    id_field: Any = "pk"
    properties: Any = None

    def user_id(self, instance: Any) -> str:
        return str(resolve(instance, self.id_field))

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

    def applies(self, instance: Any, created: bool) -> bool:
        if self.on == "create" and not created:
            return False
        return self.when is None or bool(self.when(instance, created))

    def event_type_for(self, instance: Any) -> str:
        return self.event_type(instance) if callable(self.event_type) else self.event_type

    def event_id_for(self, instance: Any, event_type: str) -> str | None:
        """A deterministic id for create events (so a re-run can never queue the
        same order line twice); ``None`` (random) for per-save events."""
        if self.on != "create":
            return None
        label = self.model._meta.label_lower
        return uuid.uuid5(_EVENT_NAMESPACE, f"{label}:{instance.pk}:{event_type}").hex


@dataclass
class Registry:
    """The registrations of this process (one module-level instance: :data:`registry`)."""

    items: dict[type, ItemRegistration] = field(default_factory=dict)
    users: dict[type, UserRegistration] = field(default_factory=dict)
    events: dict[type, list[EventRegistration]] = field(default_factory=dict)
    #: called with ``(model, registered)`` whenever a model's registrations change
    listeners: list[Callable[[type, bool], None]] = field(default_factory=list)

    def changed(self, model: type) -> None:
        """Tell the listeners whether ``model`` is registered now."""
        registered = model in self.items or model in self.users or model in self.events
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
        return set(self.items) | set(self.users) | set(self.events)

    def reset(self) -> None:
        """Forget every registration and disconnect the signals (tests)."""
        models_ = self.models()
        self.items.clear()
        self.users.clear()
        self.events.clear()
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
) -> ItemRegistration:
    """Make ``model`` the catalogue. ``properties`` maps schema columns
    (``CATEGORY_L1``, ``PRICE``...) to specs, or is a callable returning that
    mapping's values; ``available`` is a spec whose truth says whether the item
    may be recommended (sent as the ``AVAILABLE`` property). Saves queue the
    item; deletes queue it as unavailable."""
    _check_model(model)
    _check_spec(id_field, "id_field", optional=False)
    _check_spec(available, "available")
    if properties is not None and not callable(properties):
        if not isinstance(properties, Mapping):
            raise TypeError("properties must be a mapping of column to spec, or a callable")
        for column, spec in properties.items():
            _check_spec(spec, f"properties[{column!r}]", optional=False)
    others = [m for m in registry.items if m is not model]
    if others:
        raise ImproperlyConfigured(
            f"Cannot register {model._meta.label} as the item model: {others[0]._meta.label} "
            "already is "
            "(Personalize has one Items dataset per dataset group)"
        )
    reg = ItemRegistration(model, id_field, properties, available)
    registry.items[model] = reg
    _connect(model)
    return reg


def register_user(
    model: type[models.Model],
    *,
    id_field: Any = "pk",
    properties: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
) -> UserRegistration:
    """Make ``model`` the users; saves queue the user (with ``properties``)."""
    _check_model(model)
    _check_spec(id_field, "id_field", optional=False)
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
) -> EventRegistration:
    """Record ``event_type`` when a ``model`` row is created (``on="create"``)
    or on every save (``on="save"``), optionally only ``when(instance,
    created)`` is true. ``item``, ``user``, ``session`` and ``value`` are specs;
    ``user`` and ``item`` may resolve to model instances. Without a ``session``
    spec the session of the current request is used (with
    :class:`~personalize_django.middleware.PersonalizeMiddleware`), else one
    derived from the user id."""
    _check_model(model)
    if not (callable(event_type) or (isinstance(event_type, str) and event_type)):
        raise TypeError(f"event_type must be a non-empty string or a callable, not {event_type!r}")
    _check_spec(item, "item", optional=False)
    for name, spec in (("user", user), ("session", session), ("value", value)):
        _check_spec(spec, name)
    if on not in EVENT_TRIGGERS:
        raise ValueError(f"on must be one of {', '.join(EVENT_TRIGGERS)}, not {on!r}")
    if when is not None and not callable(when):
        raise TypeError("when must be a callable (instance, created) -> bool")
    reg = EventRegistration(model, event_type, item, user, session, value, properties, on, when)
    registry.events.setdefault(model, []).append(reg)
    _connect(model)
    return reg


def unregister(model: type[models.Model]) -> None:
    """Forget every registration of ``model`` and disconnect its signals."""
    registry.items.pop(model, None)
    registry.users.pop(model, None)
    registry.events.pop(model, None)
    registry.changed(model)


def _connect(model: type[models.Model]) -> None:
    registry.changed(model)


#: the old private name, still imported by code written against it
_properties = properties_of
