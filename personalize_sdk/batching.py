"""Cutting records into calls the API accepts.

PutEvents takes one user and one session per call and at most 10 events;
PutItems and PutUsers take at most 10 records. Events keep their recorded
order within each (user, session) pair.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from .records import Event

T = TypeVar("T")

#: records per PutEvents / PutItems / PutUsers call (personalize-events model)
MAX_RECORDS_PER_CALL = 10


def chunks(records: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` records."""
    if size < 1:
        raise ValueError("size must be at least 1")
    for start in range(0, len(records), size):
        yield list(records[start : start + size])


def event_batches(
    events: Iterable[T],
    size: int = MAX_RECORDS_PER_CALL,
    *,
    one_session_per_call: bool = True,
    event: Callable[[T], Event] | None = None,
) -> list[list[T]]:
    """Group ``events`` into calls of at most ``size`` events.

    With ``one_session_per_call`` (Personalize's rule) each call holds a single
    (user_id, session_id) pair; calls for one pair come out in recorded order,
    and pairs in the order they first appear. ``event`` finds the
    :class:`Event` in each entry when the entries carry more than the event
    (the outbox batches its rows along with their events).
    """
    events = list(events)
    if not one_session_per_call:
        return list(chunks(events, size))
    groups: dict[tuple[str | None, str], list[T]] = {}
    for entry in events:
        found = entry if event is None else event(entry)
        groups.setdefault((found.user_id, found.session_id), []).append(entry)  # type: ignore[union-attr]
    batches: list[list[T]] = []
    for group in groups.values():
        batches.extend(chunks(group, size))
    return batches
