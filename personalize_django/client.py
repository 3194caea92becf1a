"""The process-wide SDK client, built from ``PERSONALIZE``.

The client runs in ``sync_mode``: in Django, delivery happens in the outbox
drain (a Celery task, or in-process after commit), never in an SDK thread.
It is built on first use and thrown away when ``PERSONALIZE`` changes, so
``override_settings`` gives tests a fresh backend.
"""

from __future__ import annotations

import threading
from typing import Any

from personalize_sdk import Client
from personalize_sdk.backends import backend_class
from personalize_sdk.backends.base import Backend
from personalize_sdk.retry import NO_RETRY

from .conf import on_reload, personalize_settings
from .registry import registry

#: name of the filter that keeps unavailable (and deleted) items out of
#: recommendations; added to ``FILTERS`` unless a filter of that name exists
AVAILABLE_FILTER_NAME = "available"
#: its expression: items whose AVAILABLE property is "True" (see registration docs)
AVAILABLE_FILTER_EXPRESSION = 'INCLUDE ItemID WHERE Items.AVAILABLE IN ("True")'

_lock = threading.Lock()
_client: Client | None = None


def effective_filters() -> dict[str, Any]:
    """``FILTERS`` plus the availability filter when an item registration
    declares availability and ``FILTERS`` does not define that name.

    A backend whose filters must exist on the service (``filters_by_arn``:
    on Amazon Personalize the AWS backend wants each filter's ARN in
    ``OPTIONS["filters"]``) gets it only once its options can use it."""
    filters = dict(personalize_settings.FILTERS or {})
    item = registry.item_registration()
    if item is None or item.available is None or AVAILABLE_FILTER_NAME in filters:
        return filters
    backend = backend_class(personalize_settings.BACKEND)
    if backend.can_use_filter(AVAILABLE_FILTER_NAME, personalize_settings.OPTIONS or {}):
        filters[AVAILABLE_FILTER_NAME] = AVAILABLE_FILTER_EXPRESSION
    return filters


def build_client() -> Client:
    """A new client from the current settings (the caller owns it)."""
    return Client(
        personalize_settings.BACKEND,
        options=personalize_settings.OPTIONS or {},
        filters=effective_filters(),
        sync_mode=True,
        # Writes are retried by the outbox (with backoff across runs), so a
        # write is one attempt here; reads keep the client's short read retry.
        retry=NO_RETRY,
    )


def get_client() -> Client:
    """The process-wide client, built on first use."""
    global _client
    client = _client
    if client is not None:
        return client
    with _lock:
        if _client is None:
            _client = build_client()
        return _client


def get_backend() -> Backend:
    """The backend of :func:`get_client` (delivery calls it batch by batch)."""
    return get_client().backend


@on_reload
def reset_client() -> None:
    """Close and forget the process-wide client (settings changed, tests)."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close(timeout=0)
