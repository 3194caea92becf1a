"""The Celery app of the integration tests' worker (``celery -A`` this module)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.integration.settings")

app = Celery("personalize_it")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["personalize_django"])
app.conf.beat_schedule = {
    # The safety net, every second here (a minute is a sensible default in production).
    "personalize-sweep-outbox": {"task": "personalize_django.tasks.sweep_outbox", "schedule": 1.0},
}
