"""The Celery tasks of the app, where Celery's autodiscovery looks for them
(``app.autodiscover_tasks()`` imports each installed app's ``tasks`` module).

They live beside what they do: :mod:`personalize_django.outbox.tasks`
(``personalize_django.tasks.deliver_outbox`` and
``personalize_django.tasks.sweep_outbox``, the names for beat schedules and
routing) and :mod:`personalize_django.console.tasks`
(``personalize_django.console.train_model``, the console's "Train now").
"""

from .console.tasks import train_model
from .outbox.tasks import deliver_outbox, sweep_outbox

__all__ = ["deliver_outbox", "sweep_outbox", "train_model"]
