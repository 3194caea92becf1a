"""Loading recommended items: ids from a backend to model instances of the
registered item model, in ONE query, with availability checked on each.

:mod:`personalize_django.pages` uses these; views may too.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any, Iterable, Mapping

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.http import HttpRequest

from personalize_sdk.filters.values import normalize_filter_values
from personalize_sdk.recommendations import SOURCE_FALLBACK

from .conf import personalize_settings
from .registry import ItemRegistration, registry

logger = logging.getLogger("personalize_django")


def item_registration() -> ItemRegistration:
    reg = registry.item_registration()
    if reg is None:
        raise ImproperlyConfigured(
            "Serving recommendations needs an item model: "
            "call personalize_django.register_item(...) "
            "in an app's personalize.py"
        )
    return reg


def id_lookup(reg: ItemRegistration) -> tuple[str, Any]:
    """The ORM path of the item id and its field (``None`` across relations)."""
    spec = reg.id_field
    if not isinstance(spec, str):
        raise ImproperlyConfigured(
            f"Loading recommended {reg.model._meta.label} items needs id_field to be a field name, "
            f"not {spec!r} (a callable cannot be queried)"
        )
    path = spec.replace(".", "__")
    meta = reg.model._meta
    if path == "pk":
        return "pk", meta.pk
    try:
        return path, meta.get_field(path)
    except FieldDoesNotExist:
        if "__" in path:
            return path, None
        raise ImproperlyConfigured(
            f"id_field {spec!r} of {meta.label} is not a model field, "
            "so recommended items cannot be loaded by it"
        ) from None


def item_queryset(request: HttpRequest | None = None) -> models.QuerySet:
    """``ITEM_QUERYSET(request)``, or the item registration's ``queryset``
    (the rows that are items; the model's default manager without one)."""
    factory = personalize_settings.ITEM_QUERYSET
    if factory is not None:
        return factory(request)
    return item_registration().get_queryset(request)


def fallback_queryset(
    request: HttpRequest | None = None,
    *,
    filter: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
) -> models.QuerySet:
    """``FALLBACK_QUERYSET(request)``, or :func:`item_queryset` newest first.

    A ``FALLBACK_QUERYSET`` that takes ``filter`` and ``filter_values``
    keyword arguments (or ``**kwargs``) is handed the list's filter name and
    its values (each a tuple of strings), so it can narrow the rows itself (a
    category page's category); either way, what it returns is checked
    against the filter before it is shown."""
    factory = personalize_settings.FALLBACK_QUERYSET
    if factory is not None:
        if _takes_filter(factory):
            values = normalize_filter_values(filter_values or {})
            return factory(request, filter=filter, filter_values=dict(values))
        return factory(request)
    return item_queryset(request).order_by("-pk")


@functools.lru_cache(maxsize=64)
def _takes_filter(factory: Any) -> bool:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: the old form
        return False
    names = {p.name for p in parameters}
    return {"filter", "filter_values"} <= names or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
    )


def _clean(item_ids: Iterable[str], field: Any) -> list[Any]:
    """The ids as the field's Python values, without the ones it cannot hold
    (``"abc"`` for an integer key would make the query raise)."""
    cleaned = []
    for item_id in dict.fromkeys(item_ids):
        try:
            cleaned.append(field.to_python(item_id) if field is not None else item_id)
        except (ValidationError, ValueError, TypeError):
            continue
    return cleaned


def hydrate(item_ids: Iterable[str], request: HttpRequest | None = None) -> dict[str, Any]:
    """Load the items of ``item_ids`` in ONE query: ``{item id: instance}``.
    Ids that cannot be ids of the model (``"abc"`` for an integer key) and
    rows that do not exist are simply absent."""
    reg = item_registration()
    path, field = id_lookup(reg)
    cleaned = _clean(item_ids, field)
    if not cleaned:
        return {}
    return {
        reg.item_id(obj): obj for obj in item_queryset(request).filter(**{f"{path}__in": cleaned})
    }


def annotate(obj: Any, item_id: str, score: float | None, source: str) -> Any:
    obj.personalize_item_id = item_id
    obj.personalize_score = score
    obj.personalize_source = source
    return obj


def known_item_ids(item_ids: Iterable[str]) -> set[str]:
    """Which of ``item_ids`` exist in the item model (one query; deleted or
    malformed ids are absent). Without an item registration, all of them."""
    ids = list(dict.fromkeys(item_ids))
    reg = registry.item_registration()
    if reg is None or not ids:
        return set(ids)
    path, field = id_lookup(reg)
    cleaned = _clean(ids, field)
    if not cleaned:
        return set()
    found = reg.model._default_manager.filter(**{f"{path}__in": cleaned}).values_list(
        path, flat=True
    )
    return {str(value) for value in found}


def from_fallback_queryset(
    request: HttpRequest | None,
    reg: ItemRegistration,
    missing: int,
    exclude: set[str],
    *,
    filter: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
) -> list[Any]:
    """The last fallback: ``FALLBACK_QUERYSET``, skipping what is already shown
    (the caller checks the rows against ``filter``, which the queryset may use)."""
    try:
        queryset = fallback_queryset(request, filter=filter, filter_values=filter_values)
        rows = list(queryset[: missing + len(exclude) + 10])
    except Exception:
        logger.exception("the fallback queryset failed")
        return []
    out = []
    for obj in rows:
        item_id = reg.item_id(obj)
        if item_id in exclude or not reg.is_available(obj, request):
            continue
        exclude.add(item_id)
        out.append(annotate(obj, item_id, None, SOURCE_FALLBACK))
        if len(out) == missing:
            break
    return out
