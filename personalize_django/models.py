"""The transactional outbox.

Recording writes one :class:`OutboxEvent` row in the caller's transaction;
delivery (:mod:`personalize_django.outbox`) claims rows, sends them to the
backend and marks them. A row's life::

    pending --claim--> in_flight --success--> delivered (kept KEEP_DELIVERED seconds)
       ^                   |  \\--retryable failure--> pending (next_attempt_at later)
       |                   |   \\--non-retryable / MAX_ATTEMPTS--> dead
       |                   \\--worker vanished: lease expires--> claimed again (reclaims += 1)
       \\------------------------------- replay (admin action, personalize_replay) <-- dead
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


def _new_record_id() -> str:
    return uuid.uuid4().hex


class OutboxEvent(models.Model):
    """One event, item or user waiting to reach the backend (or that did)."""

    KIND_EVENT = "event"
    KIND_ITEM = "item"
    KIND_USER = "user"
    KIND_CHOICES = [(KIND_EVENT, "event"), (KIND_ITEM, "item"), (KIND_USER, "user")]

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"
    STATE_CHOICES = [
        (PENDING, "pending"),
        (IN_FLIGHT, "in flight"),
        (DELIVERED, "delivered"),
        (DEAD, "dead"),
    ]

    kind = models.CharField(max_length=8, choices=KIND_CHOICES, default=KIND_EVENT)
    #: the event's ``event_id`` (so an event is queued at most once);
    #: a random id for items and users
    record_id = models.CharField(max_length=256, unique=True, default=_new_record_id)
    #: the record's ``to_dict()``
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=PENDING)
    #: delivery attempts started (a claim counts as one)
    attempts = models.PositiveIntegerField(default=0)
    #: times the row was claimed again after its worker's lease expired (a worker died mid-batch)
    reclaims = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    #: the claim token of the worker holding the row ("host:pid:random")
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    #: why the last attempt failed (the dead letter's reason)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox row"
        verbose_name_plural = "outbox"
        ordering = ["id"]
        indexes = [
            # The claim query: pending rows that are due, and in-flight rows whose
            # lease expired. In-flight rows are few (a batch per worker, and those
            # of workers that died within a lease), so the state prefix finds them,
            # and the rows a worker claimed, without an index of claim times or
            # tokens, which every recorded event would pay for.
            models.Index(fields=["state", "next_attempt_at"], name="personalize_outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary} ({self.state})"

    @property
    def summary(self) -> str:
        """A short description of the payload for lists and logs."""
        data = self.payload if isinstance(self.payload, dict) else {}
        if self.kind == self.KIND_EVENT:
            parts = [str(data.get("event_type", "?"))]
            if data.get("item_id"):
                parts.append(f"item={data['item_id']}")
            if data.get("user_id"):
                parts.append(f"user={data['user_id']}")
            return " ".join(parts)
        key = "item_id" if self.kind == self.KIND_ITEM else "user_id"
        return str(data.get(key, "?"))


class DeadLetterManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(state=OutboxEvent.DEAD)


class DeadLetter(OutboxEvent):
    """The outbox rows that gave up (a proxy, for their own admin page)."""

    objects = DeadLetterManager()

    class Meta:
        proxy = True
        verbose_name = "dead letter"
        verbose_name_plural = "dead letters"
