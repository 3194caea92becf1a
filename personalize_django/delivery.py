"""Deprecated: the outbox's delivery is :mod:`personalize_django.outbox`."""

import warnings

from .outbox import deliver_pending, next_due, prune_delivered, replay, state_counts  # noqa: F401
from .outbox.delivery import (  # noqa: F401
    DeliveryReport,
    backoff_delay,
    claim,
    deliver_rows,
    worker_name,
)

warnings.warn(
    "personalize_django.delivery is now personalize_django.outbox "
    "(from personalize_django.outbox import deliver_pending)",
    DeprecationWarning,
    stacklevel=2,
)
