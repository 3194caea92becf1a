"""The Celery tasks of the app, where Celery's autodiscovery looks for them
(``app.autodiscover_tasks()`` imports each installed app's ``tasks`` module).

They live in :mod:`personalize_django.outbox.tasks`; their names are
``personalize_django.tasks.deliver_outbox`` and
``personalize_django.tasks.sweep_outbox`` (for beat schedules and routing).
"""

from .outbox.tasks import deliver_outbox, sweep_outbox

__all__ = ["deliver_outbox", "sweep_outbox"]
