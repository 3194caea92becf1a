"""Celery tasks draining the outbox.

This module imports Celery at the top: only Celery's autodiscovery
(``app.autodiscover_tasks()`` finds them through :mod:`personalize_django.tasks`)
and the publisher (:mod:`personalize_django.outbox.publisher`) import it.
The task names stay ``personalize_django.tasks.*``. Schedule the sweep with beat::

    app.conf.beat_schedule = {
        "personalize-sweep-outbox": {
            "task": "personalize_django.tasks.sweep_outbox",
            "schedule": 60.0,
        },
    }

No task is ever queued with a ``countdown`` or an ``eta``. A worker holds such
a message unacknowledged until it is due, and a broker outage then makes
kombu restore those messages while the connection is gone, which can kill
the worker (``restore_unacked``; the outbox lost nothing, but nothing was
delivered until someone restarted it). Deferred rows wait in the outbox
instead, with their ``next_attempt_at``, and the periodic sweep (or the next
commit's kick) delivers them once they are due: the sweep's interval bounds
how late a retry can be.

Importing this module also guards kombu's Redis transport against the other
way a broker outage exits a worker (see :mod:`personalize_django.outbox.broker`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from ..conf import personalize_settings
from .broker import guard_redis_transport
from .delivery import deliver_pending, prune_delivered

logger = logging.getLogger("personalize_django")

# Workers import the tasks (autodiscovery) before they connect to the broker.
guard_redis_transport()


def _queue_options() -> dict[str, Any]:
    queue = personalize_settings.CELERY_QUEUE
    return {"queue": queue} if queue else {}


def _follow_up(task: Any, report: Any, using: str | None) -> None:
    """Queue the next run at once, with no countdown, when this one ran out of
    time (rows may be due now: waiting for the sweep would only add latency).
    Rows deferred to later are left to the sweep. Never when running eagerly
    (that would recurse; the next commit or the sweep carries on)."""
    if getattr(task.request, "is_eager", False) or not report.out_of_time:
        return
    try:
        # An immediate message is taken and acknowledged as soon as a worker is
        # free: nothing sits unacknowledged in the worker (see the module docstring).
        deliver_outbox.apply_async(kwargs={"using": using}, **_queue_options())
    except Exception:
        logger.warning(
            "could not queue the follow-up delivery; the sweep will carry on", exc_info=True
        )


@shared_task(name="personalize_django.tasks.deliver_outbox", bind=True, ignore_result=True)
def deliver_outbox(self: Any, using: str | None = None) -> dict[str, Any]:
    """Deliver due outbox rows (queued after each commit that recorded something)."""
    report = deliver_pending(using=using)
    _follow_up(self, report, using)
    return report.as_dict()


@shared_task(name="personalize_django.tasks.sweep_outbox", bind=True, ignore_result=True)
def sweep_outbox(self: Any, using: str | None = None) -> dict[str, Any]:
    """The periodic safety net: prune old delivered rows, then deliver whatever
    is due (rows whose commit could not reach the broker, deferred retries,
    rows of a worker that died)."""
    pruned = prune_delivered(using=using)
    report = deliver_pending(using=using)
    _follow_up(self, report, using)
    result = report.as_dict()
    result["pruned"] = pruned
    return result
