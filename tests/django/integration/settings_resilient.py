"""The integration settings with the Celery options docs/django/delivery.rst
recommends for surviving a broker outage (section "Surviving a broker outage")."""

from tests.django.integration.settings import *  # noqa: F401,F403

CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    "health_check_interval": 10,
}
