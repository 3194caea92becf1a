"""The example shop's Celery app.

Without ``CELERY_BROKER_URL`` tasks run eagerly in the web process (settings
set ``CELERY_TASK_ALWAYS_EAGER``). With a broker, run a worker (with beat, for
the outbox sweep) from the ``example_shop`` folder::

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 celery -A example_shop worker -B --loglevel=info
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_shop.settings")

app = Celery("example_shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
# personalize_django.tasks (deliver_outbox, sweep_outbox) is found here.
app.autodiscover_tasks()
