"""After a commit: hand the new outbox rows to a deliverer.

:func:`schedule_on_commit` asks, once per transaction, for
:func:`schedule_delivery` to run when the transaction commits.

``DELIVERY`` chooses how:

``"celery"``
    queue the ``deliver_outbox`` task, from a background thread so the request
    never waits for the broker (see :mod:`personalize_django.publisher`; with
    ``task_always_eager`` the task runs inline, as eager means). If the broker
    is down the error is logged, never raised into the request: the rows stay
    in the outbox and the periodic ``sweep_outbox`` task delivers them later.
``"sync"``
    deliver in this process right after the commit (demos, tests, small
    sites; the request waits for the backend call).
``"manual"``
    do nothing; something else drains the outbox (``personalize_deliver``,
    the sweep, a test).
``"auto"`` (the default)
    ``"celery"`` when Celery is installed and an app is configured, else ``"sync"``.

This module never imports Celery at the top: the Celery tasks
(:mod:`personalize_django.outbox.tasks`) are imported only when Celery
delivery is chosen.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from typing import Any

from django.db import transaction

from ..conf import personalize_settings
from . import publisher as publishing
from .delivery import deliver_pending

logger = logging.getLogger("personalize_django")


@functools.lru_cache(maxsize=None)
def celery_installed() -> bool:
    # Asked on every commit in DELIVERY="auto"; find_spec costs tens of microseconds.
    return importlib.util.find_spec("celery") is not None


@functools.cache
def _celery_state():
    # Looked up once: ``from celery import ...`` goes through Celery's lazy
    # module on every call, which costs more than the check itself.
    from celery import _state

    return _state


def _current_celery_app():
    return _celery_state().get_current_app()


def celery_app_configured() -> bool:
    """Whether this process has a Celery app of its own (not Celery's fallback
    "default" app, which would publish to a broker nobody set up)."""
    if not celery_installed():
        return False
    state = _celery_state()
    app = state.get_current_app()
    return not (app is state.default_app and app.main == "default" and not app.fixups)


def tasks_run_eagerly() -> bool:
    """Whether this process's Celery app runs tasks inline
    (``task_always_eager``): then no worker process delivers."""
    return celery_app_configured() and bool(_current_celery_app().conf.task_always_eager)


def delivery_mode() -> str:
    """The effective mode: ``"celery"``, ``"sync"`` or ``"manual"``."""
    mode = personalize_settings.DELIVERY
    if mode == "auto":
        return "celery" if celery_app_configured() else "sync"
    return mode


def schedule_delivery(using: str | None = None) -> None:
    """Start delivering what was just committed. Never raises: whatever fails
    here leaves the rows in the outbox for the next run or the sweep."""
    mode = delivery_mode()
    if mode == "manual":
        return
    if mode == "celery":
        # A busy process finds a publish already due for this database most of
        # the time (the thread lingers to gather commits): then this commit is
        # covered and Celery's configuration is not even read.
        if publishing.publisher.covers(using):
            return
        if _current_celery_app().conf.task_always_eager:
            publishing.publish(using)  # eager: run the task here and now (demos, tests)
        else:
            publishing.publisher.kick(using)
        return
    try:
        deliver_pending(using=using)
    except Exception:
        logger.exception("in-process outbox delivery failed; the rows stay in the outbox")


def schedule_on_commit(db: str, connection: Any = None) -> None:
    """Ask for delivery when the current transaction on ``db`` commits (at once
    in autocommit). Registered once per transaction, however many rows it writes.
    ``connection`` is ``db``'s connection when the caller has it at hand."""
    if connection is None:
        connection = transaction.get_connection(db)
    if not connection.in_atomic_block:
        if connection.get_autocommit():
            # Committed already (what on_commit() would do: call at once).
            schedule_delivery(db)
            return
    else:
        # Django keeps (savepoint ids, callback, robust) tuples; look for ours so a
        # transaction writing 1,000 rows asks for one delivery, not 1,000.
        pending = getattr(connection, "run_on_commit", None) or []
        if any(getattr(entry[1], "_personalize_dispatch", False) for entry in pending):
            return

    def _dispatch() -> None:
        schedule_delivery(db)

    _dispatch._personalize_dispatch = True  # type: ignore[attr-defined]
    connection.on_commit(_dispatch)  # what transaction.on_commit(_dispatch, using=db) does
