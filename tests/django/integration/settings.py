"""Settings of the processes the integration tests start (web server, Celery
worker): the unit-test settings on PostgreSQL, with Celery delivery and the
recording backend, configured through PERSONALIZE_IT_* environment variables."""

import os

from tests.django.settings import *  # noqa: F401,F403
from tests.django.settings import MIDDLEWARE  # noqa: F401

env = os.environ.get

DEBUG = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env("PERSONALIZE_IT_DB", "personalize_it"),
        "USER": env("PERSONALIZE_TEST_PG_USER", "postgres"),
        "HOST": env("PERSONALIZE_TEST_PG_HOST", "127.0.0.1"),
        "PORT": env("PERSONALIZE_TEST_PG_PORT", "5432"),
    }
}
CELERY_BROKER_URL = env("PERSONALIZE_IT_BROKER", "redis://127.0.0.1:6379/15")
# Fail fast when the broker is down (as docs/django/installation.rst advises):
# the request must not wait for kombu's connection retries.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

PERSONALIZE = {
    "BACKEND": "tests.django.integration.recording_backend.RecordingBackend",
    "OPTIONS": {
        "path": env("PERSONALIZE_IT_LEDGER", "ledger.sqlite3"),
        "engine_path": env("PERSONALIZE_IT_ENGINE") or None,
        "throttle": float(env("PERSONALIZE_IT_THROTTLE", "0")),
        "seed": 7,
        "delay_after": float(env("PERSONALIZE_IT_DELAY_AFTER", "0")),
        "hang_after": int(env("PERSONALIZE_IT_HANG_AFTER", "0")),
        "hang_marker": env("PERSONALIZE_IT_HANG_MARKER") or None,
    },
    "DELIVERY": "celery",
    "BATCH_SIZE": int(env("PERSONALIZE_IT_BATCH_SIZE", "100")),
    "MAX_ATTEMPTS": 30,
    "RETRY_BASE_DELAY": 0.05,
    "RETRY_MAX_DELAY": 0.5,
    "LEASE_SECONDS": float(env("PERSONALIZE_IT_LEASE", "30")),
    "DELIVERY_TIME_LIMIT": 10.0,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"personalize_django": {"handlers": ["console"], "level": "INFO"}},
}

# The project's Celery app, imported as a project's __init__.py would.
from tests.django.integration.celery_app import app as celery_app  # noqa: E402,F401
