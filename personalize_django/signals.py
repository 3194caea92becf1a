"""Signals sent by personalize_django.

Connect to them like any Django signal::

    from personalize_django.signals import CancelRecord, pre_record

    @receiver(pre_record)
    def skip_bots(sender, event, request, **kwargs):
        if request is not None and "bot" in request.headers.get("User-Agent", "").lower():
            raise CancelRecord("bot traffic")
"""

from __future__ import annotations

from django.dispatch import Signal


class CancelRecord(Exception):
    """Raised by a :data:`pre_record` receiver to drop the event: nothing is
    written to the outbox and ``record_event`` returns ``None``."""


#: Sent before an event is written to the outbox, in the caller's transaction.
#: A receiver may raise :class:`CancelRecord` to drop it.
#: provides args: ``event`` (the validated :class:`personalize_sdk.Event`),
#: ``request`` (the ``HttpRequest`` or ``None``)
#: (Both recording signals are sent on every recorded event, always with
#: ``sender=Event``: ``use_caching`` keeps the live receivers per sender, as
#: Django's model signals do, so a send does not sort through them each time.)
pre_record = Signal(use_caching=True)

#: Sent after the event's outbox row is written (the row commits or rolls back
#: with the caller's transaction).
#: provides args: ``event``, ``request``, ``outbox_id`` (the row's primary key)
post_record = Signal(use_caching=True)

#: Sent by a delivery run for each group of rows that reached the backend.
#: provides args: ``kind`` ("event", "item" or "user"), ``count``, ``payloads``
#: (the rows' records as dicts, in delivery order)
delivered = Signal()

#: Sent when rows become dead letters.
#: provides args: ``rows`` (list of OutboxEvent), ``reason``
dead_lettered = Signal()

#: Sent when recommendations are served (template tags, the REST API, pages.recommend).
#: provides args: ``request`` (the ``HttpRequest`` or ``None``), ``use_case`` (``None`` for
#: ranking), ``recommendations`` (the :class:`~personalize_django.pages.Recommendations`
#: served, with ``recommendation_id`` and ``source``)
recommendations_served = Signal()
