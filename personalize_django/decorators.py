"""``@track_item_view``: record a View for the item a function view shows.

::

    @track_item_view(Product)                      # item id from the "pk" URL kwarg
    def product(request, pk): ...

    @track_item_view(Product, lookup="slug")       # one query: slug -> item
    def product(request, slug): ...

    @track_item_view(lambda request, *args, **kwargs: kwargs["sku"])   # any getter
    def product(request, sku): ...

The event is recorded only for a successful (2xx) response to a GET, after
the view ran, with the user, session and consent of the request; it is
written to the outbox once the response has been sent
(``RECORD_VIEWS_AFTER_RESPONSE``).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponseBase

from personalize_sdk import InvalidRecordError

from .conf import personalize_settings
from .context import set_session_cookie
from .registry import registry

logger = logging.getLogger("personalize_django")

#: the request methods that count as viewing
VIEW_METHODS = frozenset({"GET"})


def is_success(request: HttpRequest, response: HttpResponseBase) -> bool:
    return request.method in VIEW_METHODS and 200 <= response.status_code < 300


def track_view(
    request: HttpRequest,
    item: Any,
    *,
    response: HttpResponseBase | None = None,
    event_type: str | None = None,
    properties: dict[str, Any] | None = None,
    write_after_response: bool | None = None,
) -> None:
    """Record ``event_type`` (default ``VIEW_EVENT_TYPE``) for ``item`` (an
    instance or an id). Bad data is logged, never raised into the page.

    With a ``response`` and ``write_after_response`` (``None``: the
    ``RECORD_VIEWS_AFTER_RESPONSE`` setting), the outbox row is written once
    ``response`` has been sent (see :mod:`personalize_django.after_response`)."""
    # Imported at the call, not with this module: recording needs the outbox
    # model, and views (with their decorators) may be imported before the app
    # registry is ready.
    from .recording import record_event

    if item is None:
        return
    if write_after_response is None:
        write_after_response = personalize_settings.RECORD_VIEWS_AFTER_RESPONSE
    try:
        record_event(
            event_type or personalize_settings.VIEW_EVENT_TYPE,
            request=request,
            item=item,
            properties=properties,
            after_response=response if write_after_response else None,
        )
    except InvalidRecordError:
        logger.exception("not recording a view of %r", item)


def _model_getter(
    model: type[models.Model], lookup: str, url_kwarg: str | None
) -> Callable[..., Any]:
    kwarg = url_kwarg or lookup

    def getter(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if kwarg not in kwargs:
            raise TypeError(
                f"track_item_view({model.__name__}) needs the URL keyword argument {kwarg!r}"
            )
        value = kwargs[kwarg]
        reg = registry.item_registration(model)
        id_field = reg.id_field if reg is not None else "pk"
        if lookup in ("pk", "id", model._meta.pk.name) and id_field in ("pk", model._meta.pk.name):
            return str(value)  # the URL already holds the item id: no query
        return model._default_manager.get(**{lookup: value})

    return getter


def track_item_view(
    model_or_getter: type[models.Model] | Callable[..., Any],
    *,
    lookup: str = "pk",
    url_kwarg: str | None = None,
    event_type: str | None = None,
    write_after_response: bool | None = None,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a function view to record a View of the item it shows.

    ``model_or_getter`` is the item model (the item is found with
    ``lookup`` = the URL keyword argument ``url_kwarg``, default ``lookup``)
    or a callable ``(request, *args, **kwargs) -> item instance or id``
    (``None`` records nothing). ``write_after_response`` overrides the
    ``RECORD_VIEWS_AFTER_RESPONSE`` setting for this view.
    """
    if isinstance(model_or_getter, type) and issubclass(model_or_getter, models.Model):
        getter = _model_getter(model_or_getter, lookup, url_kwarg)
    elif callable(model_or_getter):
        getter = model_or_getter
    else:
        raise TypeError(
            f"track_item_view needs a model class or a callable, not {model_or_getter!r}"
        )

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            if is_success(request, response):
                try:
                    item = getter(request, *args, **kwargs)
                except ObjectDoesNotExist:
                    item = None
                track_view(
                    request,
                    item,
                    response=response,
                    event_type=event_type,
                    write_after_response=write_after_response,
                )
                set_session_cookie(request, response)
            return response

        return wrapper

    return decorator
