"""Deprecated alias of :mod:`personalize_django.outbox.publisher` (moved in 0.1)."""

import warnings

from .outbox.publisher import BROKER_PAUSE, LINGER, Publisher, publish, publisher  # noqa: F401

warnings.warn(
    "personalize_django.publisher is now personalize_django.outbox.publisher",
    DeprecationWarning,
    stacklevel=2,
)
