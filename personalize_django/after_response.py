"""Work run once the response has been sent: the visitor does not wait for it.

``@track_item_view`` and ``TrackItemViewMixin`` write their View here (with
``RECORD_VIEWS_AFTER_RESPONSE``, the default), so a product page's visitor
never waits for the outbox's INSERT and its commit, which on PostgreSQL is a
round trip and a flush of the write-ahead log.

A WSGI server sends the body, then calls the response's ``close()`` (PEP
3333 requires it, even when the client went away), in the thread that ran
the view; so do Django's ASGI handler (in the thread of its synchronous
views) and its test client. Deferred work runs there: among the response's
closers, before Django's ``request_finished`` receivers close the database
connection, so it needs no connection of its own. A middleware that
replaced the response leaves the original unclosed: the ``request_finished``
receiver runs what is still pending then, and ``request_started`` runs
whatever a thread still holds before its next request. Outside a request
served by Django's handlers (a view called directly with ``RequestFactory``,
a shell), and under Django's ``AsyncClient`` (which closes responses in
another thread), nothing is deferred: the work runs at once.

What it costs: a View is written a moment after its page was sent, so a
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


class _Deferred:
    """One piece of deferred work; runs once, from whichever of its triggers
    comes first (the response's close, or a thread's fallback)."""

    __slots__ = ("work", "description", "done")

    def __init__(self, work: Callable[[], Any], description: str) -> None:
        self.work = work
        self.description = description
        self.done = False

    def __call__(self) -> None:
        with _run_once:
            if self.done:
                return
            self.done = True
        run(self.work, self.description)


_run_once = threading.Lock()


class _Pending(threading.local):
    """Per thread: whether a request served by Django's handler is under way
    (so a close will come), and the work deferred meanwhile."""

    def __init__(self) -> None:
        self.serving = False
        self.work: list[_Deferred] = []


_pending = _Pending()


def defer(response: HttpResponseBase, work: Callable[[], Any], description: str) -> None:
    """Run ``work()`` once ``response`` has been sent (at once outside a served
    request). ``description`` names the work in the error logged if it fails."""
    if not _pending.serving:
        run(work, description)
        return
    deferred = _Deferred(work, description)
    _pending.work.append(deferred)
    # Django's own hook for what runs on close(), ahead of its request_finished
    # receivers (stable since Django 3.0; FileResponse closes its file there).
    closers = getattr(response, "_resource_closers", None)
    if closers is not None:
        closers.append(deferred)


def run(work: Callable[[], Any], description: str) -> None:
    """Run ``work()``; a failure is logged, never raised (the page is gone)."""
    try:
        work()
    except Exception:
        logger.exception("%s failed after the response was sent", description)


def flush() -> None:
    """Run this thread's deferred work that its responses' closes did not run."""
    while _pending.work:
        _pending.work.pop(0)()


def _closes_elsewhere(handler_class: Any) -> bool:
    # Django's AsyncClient closes the response in a worker thread
    # (thread_sensitive=False): outside the test's connection and transaction,
    # where a write would be lost with the test or block on its locks.
    return (
        getattr(handler_class, "__name__", None) == "AsyncClientHandler"
        and getattr(handler_class, "__module__", None) == "django.test.client"
    )


def on_request_started(sender: Any = None, **_: Any) -> None:
    flush()  # a previous request's, whose close never came
    _pending.serving = not _closes_elsewhere(sender)


def on_request_finished(**_: Any) -> None:
    flush()  # left over when a middleware replaced the response that held it
    _pending.serving = False


def connect() -> None:
    request_started.connect(on_request_started, dispatch_uid="personalize_django.after_response")
    request_finished.connect(on_request_finished, dispatch_uid="personalize_django.after_response")
