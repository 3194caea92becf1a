"""Deprecated alias of :mod:`personalize_django.outbox.waking` (moved in 0.1)."""

import warnings

from .outbox.waking import (  # noqa: F401
    celery_app_configured,
    celery_installed,
    delivery_mode,
    schedule_delivery,
)

warnings.warn(
    "personalize_django.dispatch is now personalize_django.outbox.waking "
    "(from personalize_django.outbox import schedule_delivery)",
    DeprecationWarning,
    stacklevel=2,
)
