"""The transactional outbox: every record reaches the backend through it.

One way through, each step in its own module, each importing only the ones
after it::

    recording.record_event / queue_items           (personalize_django.recording)
      -> writing.insert_row / insert_rows          the row, in the caller's transaction
      -> waking.schedule_on_commit                 once per transaction, on commit:
         waking.schedule_delivery                  by DELIVERY: "celery" | "sync" | "manual"
           -> publisher.Publisher.kick             (celery) a thread queues one task
              -> tasks.deliver_outbox              the Celery task (and the periodic sweep)
           -> delivery.deliver_pending             (sync, and inside the task)
              claim -> personalize_sdk.sending.send -> mark delivered / deferred / dead / held

``dead_letters.replay`` puts dead letters back at the head of the line.
``health.delivery_health`` says whether delivery has stalled (the oldest
waiting row against a maximum age): ``personalize_health`` and the console.
What reacts to records and deliveries elsewhere (the cache of lists)
listens to :mod:`personalize_django.signals`, so nothing here imports it.
"""

from .dead_letters import replay
from .delivery import (
    DeliveryReport,
    claim,
    deliver_pending,
    held_by_configuration,
    next_due,
    prune_delivered,
    state_counts,
)
from .health import DeliveryHealth, delivery_health
from .waking import delivery_mode, schedule_delivery, schedule_on_commit
from .writing import outbox_db

__all__ = [
    "DeliveryHealth",
    "DeliveryReport",
    "claim",
    "deliver_pending",
    "delivery_health",
    "delivery_mode",
    "held_by_configuration",
    "next_due",
    "outbox_db",
    "prune_delivered",
    "replay",
    "schedule_delivery",
    "schedule_on_commit",
    "state_counts",
]
