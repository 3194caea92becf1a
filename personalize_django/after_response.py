"""Work run once the response has been sent: the visitor does not wait for it.

``@track_item_view`` and ``TrackItemViewMixin`` write their View here (with
``RECORD_VIEWS_AFTER_RESPONSE``, the default), so a product page's visitor
never waits for the outbox's INSERT and its commit, which on PostgreSQL is a
round trip and a flush of the write-ahead log.

A WSGI server sends the body, then calls the response's ``close()`` (PEP
3333 requires it, even when the client went away); so do Django's ASGI
handler and its test client. Deferred work runs there: first among the
response's closers, before Django's ``request_finished`` receivers close the
database connection, so it needs no connection of its own. A middleware
that replaced the response leaves the original unclosed: the
``request_finished`` receiver runs what is still pending then, and
``request_started`` runs whatever a thread still holds before its next
request. Outside a request served by Django's handlers (a view called
directly with ``RequestFactory``, a shell) nothing is deferred: the work
runs at once.

What it costs: a View is written microseconds after its page was sent, so a
process killed in between (SIGKILL, a crash) loses that View, where a View
written in the request would have been lost with the page itself. A failure
of the deferred work cannot reach the page any more; it is logged, with the
exception, on the ``personalize_django`` logger.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from django.core.signals import request_finished, request_started
from django.http import HttpResponseBase

logger = logging.getLogger("personalize_django")


class _Pending(threading.local):
    """Per thread: whether a request served by Django's handler is under way
    (so a close will come), and the work waiting for it."""

    def __init__(self) -> None:
        self.serving = False
        self.work: list[tuple[Callable[[], Any], str]] = []


_pending = _Pending()


def defer(response: HttpResponseBase, work: Callable[[], Any], description: str) -> None:
    """Run ``work()`` once ``response`` has been sent (at once outside a served
    request). ``description`` names the work in the error logged if it fails."""
    if not _pending.serving:
        run(work, description)
        return
    _pending.work.append((work, description))
    # Django's own hook for what runs on close(), ahead of its request_finished
    # receivers (stable since Django 3.0; FileResponse closes its file there).
    closers = getattr(response, "_resource_closers", None)
    if closers is not None and flush not in closers:
        closers.append(flush)


def run(work: Callable[[], Any], description: str) -> None:
    """Run ``work()``; a failure is logged, never raised (the page is gone)."""
    try:
        work()
    except Exception:
        logger.exception("%s failed after the response was sent", description)


def flush(**_: Any) -> None:
    """Run this thread's pending work, oldest first."""
    while _pending.work:
        work, description = _pending.work.pop(0)
        run(work, description)


def on_request_started(**_: Any) -> None:
    flush()  # a previous request's, whose close never came
    _pending.serving = True


def on_request_finished(**_: Any) -> None:
    flush()  # left over when a middleware replaced the response that held it
    _pending.serving = False


def connect() -> None:
    request_started.connect(on_request_started, dispatch_uid="personalize_django.after_response")
    request_finished.connect(on_request_finished, dispatch_uid="personalize_django.after_response")
