"""Specs: how a registration reads a model instance.

A *spec* (for ``id_field``, ``available``, ``user``, ``item``, ``session``,
``value`` and each property) is either a callable taking the instance (and,
for ``available``, the request), or an attribute path (``"order.customer"``
or ``"order__customer"``; a method at the end of the path is called).
:mod:`personalize_django.registry` keeps the registrations that hold them.
"""

from __future__ import annotations

import datetime
import difflib
import decimal
import functools
import inspect
import re
from typing import Any, Callable, Iterable, Mapping

from django.db import models


def check_spec(value: Any, name: str, *, optional: bool = True) -> None:
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


def related_paths(model: type[models.Model], specs: Iterable[Any]) -> list[str]:
    """``select_related`` paths for the attribute paths among ``specs`` (a
    walk along forward foreign keys and one-to-ones), so that
    ``"order.customer"`` costs a join rather than a query per row."""
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


def property_specs(spec: Any) -> list[Any]:
    """The specs of a ``properties`` mapping (none for a callable)."""
    return list(spec.values()) if isinstance(spec, Mapping) else []


def with_related(queryset: Any, paths: list[str]) -> Any:
    """``queryset`` joined along ``paths`` (as is when there are none: a bare
    ``select_related()`` would follow every foreign key)."""
    return queryset.select_related(*paths) if paths else queryset


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


@functools.lru_cache(maxsize=256)
def takes_request(func: Callable[..., Any]) -> bool:
    """Whether ``func`` accepts a second positional argument (the request)."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: (instance) only
        return False
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    variadic = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    return len(positional) >= 2 or variadic


def session_from(value: Any) -> str | None:
    """A session id from a resolved ``fallback_session``: a model instance
    gives ``"<app_label.model>-<pk>"`` (an order: one session per order)."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        return f"{value._meta.label_lower}-{value.pk}"
    return str(value)


def attribute_names(model: type) -> list[str]:
    """The names a path segment may use on ``model`` (fields, properties, methods)."""
    names = {f.name for f in model._meta.get_fields()}
    names.update(n for n in dir(model) if not n.startswith("_"))
    return sorted(names)


def path_problem(model: type, path: str, *, many: bool = False) -> tuple[str, str] | None:
    """``(message, hint)`` if the attribute path ``path`` cannot work from
    ``model``: a segment the model reached has no such attribute, or a
    segment is a to-many relation (its value is a manager, not a value;
    with ``many``, allowed as the last segment: ``depends_on`` paths may
    lead to several items)."""
    current: Any = model
    parts = re.split(r"__|\.", path)
    for index, part in enumerate(parts):
        if current is None:
            return None  # past a non-relation: cannot look further statically
        if not hasattr(current, part):
            close = difflib.get_close_matches(part, attribute_names(current), n=3)
            where = f"{model.__name__}.{'.'.join(parts[:index])}" if index else model.__name__
            return (
                f"{current._meta.label} (reached as {where}) has no attribute {part!r}",
                (f"Did you mean {' or '.join(map(repr, close))}? " if close else "")
                + "Use a field, property or method name (follow relations with '.' or '__'), "
                "or a callable taking the instance.",
            )
        try:
            field = current._meta.get_field(part)
        except Exception:  # a property, a method, "pk": nothing more to follow
            current = None
            continue
        last = index == len(parts) - 1
        if field.is_relation and (field.many_to_many or field.one_to_many) and not (many and last):
            return (
                f"segment {part!r} is a to-many relation of {current._meta.label} "
                f"({type(field).__name__}): a path gives one value",
                "Use a callable taking the instance that returns the value (a list is sent "
                "joined with '|'), or a property of the model.",
            )
        current = field.related_model if field.is_relation else None
    return None
