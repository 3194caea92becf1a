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
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from ..conf import personalize_settings
from .delivery import deliver_pending, prune_delivered

logger = logging.getLogger("personalize_django")


def _queue_options() -> dict[str, Any]:
    queue = personalize_settings.CELERY_QUEUE
    return {"queue": queue} if queue else {}


def _follow_up(task: Any, report: Any, using: str | None) -> None:
    """Queue the next run: at once if this one ran out of time, else when the
    earliest deferred row becomes due. Never when running eagerly (that would
    recurse; the next commit or the sweep carries on)."""
    if getattr(task.request, "is_eager", False):
        return
    countdown: float | None = None
    if report.out_of_time:
        countdown = 0.0
    elif report.next_attempt_at is not None:
        countdown = max((report.next_attempt_at - timezone.now()).total_seconds(), 0.0)
    if countdown is None:
        return
    try:
        deliver_outbox.apply_async(kwargs={"using": using}, countdown=countdown, **_queue_options())
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
