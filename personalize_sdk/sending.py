"""Sending records to a backend: the one write path of the SDK.

:func:`send` takes records of one kind (events, items or users), each with a
key of the caller's choosing, and:

1. cuts them into calls the backend accepts (:mod:`.batching`: at most
   ``max_events_per_call`` / ``max_records_per_call`` records, one (user,
   session) pair per PutEvents call where the backend says so);
2. makes each call through a :class:`~personalize_sdk.retry.RetryPolicy`;
3. sorts every record into *delivered*, *retry later* or *dead*:

   - a call that succeeds delivers its batch;
   - a retryable failure that says nothing about the records (throttling,
     HTTP 502, 503 and 504, timeouts, connection errors) that outlives the
     policy puts the batch back whole for later, keeping the longest wait a
     backend asked for (``retry_after``): splitting it would only multiply
     the calls to a service that asked for fewer;
   - a retryable failure that one record may cause (an HTTP 500, which a
     server answers for a value it cannot store; see :func:`may_be_one_records`)
     and an unexpected exception (a serialization error, a backend bug) are
     *bisected* when the batch has more than one record: each half is sent
     again (once, without the policy's retries), and a half that fails the same
     way is halved in turn. Good records are delivered; a record that still
     fails alone is put back for later (the outbox dead-letters it after its
     own ``MAX_ATTEMPTS``), so one poisoned record can never dead-letter good
     ones. Isolating one record among ``n`` costs about ``2 log2 n`` calls; a
     batch whose every record fails costs at most ``2n - 1``;
   - a refusal that trying again cannot change (a non-retryable
     :class:`BackendError`, an :class:`InvalidRecordError`) splits a batch of
     several records, each sent alone, so one bad record does not take its
     neighbours down; refused alone, a record is dead;
   - a :class:`ConfigurationError` stops the sending: that batch and every
     later one are *held* (never marked dead: only a person can fix it, and
     the records are fine), and the error is kept in ``config_error``.

:class:`~personalize_sdk.client.Client` and the Django outbox both deliver
through it: the client with its own retry policy, the outbox with none (it
retries across runs, with ``next_attempt_at`` from the same kind of policy).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Sequence, TypeVar

from .backends.base import Backend
from .batching import chunks, event_batches
from .exceptions import BackendError, ConfigurationError, InvalidRecordError, ThrottledError
from .retry import NO_RETRY, RetryPolicy, requested_wait

logger = logging.getLogger("personalize_sdk")

K = TypeVar("K")

#: the kinds of record, as :func:`send` names them
EVENTS, ITEMS, USERS = "events", "items", "users"
KINDS = (EVENTS, ITEMS, USERS)

#: errors that say the records (not the moment) are wrong
REFUSALS = (BackendError, InvalidRecordError)

#: HTTP statuses of retryable failures that one record of a batch may cause
#: (502, 503 and 504 come from gateways and overloads, never from a record)
RECORD_FAULT_STATUSES = frozenset({500})


def may_be_one_records(error: BaseException) -> bool:
    """Whether a retryable failure of a whole batch may come from one of its
    records, so that splitting the batch is worth its calls: an HTTP 500 or
    an unexpected exception (a serialization error, a backend bug), but not
    throttling, a gateway or overload status, a timeout or a network error."""
    if isinstance(error, ThrottledError):
        return False
    if isinstance(error, BackendError):
        return error.status_code in RECORD_FAULT_STATUSES
    return not isinstance(error, OSError)


@dataclass
class SendOutcome(Generic[K]):
    """What happened to each record of one :func:`send`, by its key."""

    delivered: list[K] = field(default_factory=list)
    #: ``(key, error)`` of records worth sending again later
    retry: list[tuple[K, BaseException]] = field(default_factory=list)
    #: ``(key, error)`` of records the backend will never take
    dead: list[tuple[K, BaseException]] = field(default_factory=list)
    #: backend calls made (retries within the policy not counted)
    calls: int = 0
    #: the longest wait a backend asked for, in seconds
    retry_after: float = 0.0
    #: keys of the records not sent because of :attr:`config_error`
    held: list[K] = field(default_factory=list)
    #: the configuration error that stopped the sending, if one did
    config_error: ConfigurationError | None = None

    @property
    def failed(self) -> list[tuple[K, BaseException]]:
        """Records not delivered, retryable or not, in the order they failed."""
        return self.retry + self.dead


def put_method(backend: Backend, kind: str) -> Callable[[Sequence[Any]], None]:
    """The backend's ``put_events``, ``put_items`` or ``put_users``."""
    if kind == EVENTS:
        return backend.put_events
    if kind == ITEMS:
        return backend.put_items
    if kind == USERS:
        return backend.put_users
    raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def batches(backend: Backend, kind: str, entries: Sequence[tuple[K, Any]]) -> list[list[tuple[K, Any]]]:
    """``entries`` cut into the calls ``backend`` accepts, in order."""
    if kind == EVENTS:
        return event_batches(
            entries,
            backend.max_events_per_call,
            one_session_per_call=backend.one_session_per_call,
            event=lambda entry: entry[1],
        )
    return list(chunks(entries, backend.max_records_per_call))


def send(
    backend: Backend,
    kind: str,
    entries: Sequence[tuple[K, Any]],
    *,
    policy: RetryPolicy = NO_RETRY,
    on_retry: Callable[[BackendError, int, float], None] | None = None,
) -> SendOutcome[K]:
    """Send ``(key, record)`` entries of ``kind`` to ``backend`` (see the
    module docstring); never raises but for a ``kind`` that is no kind."""
    method = put_method(backend, kind)
    outcome: SendOutcome[K] = SendOutcome()
    for batch in batches(backend, kind, entries):
        if outcome.config_error is not None:
            outcome.held.extend(key for key, _ in batch)
            continue
        try:
            _send_batch(method, batch, outcome, policy, on_retry, backend)
        except ConfigurationError as err:
            done = {id(key) for key in outcome.delivered}
            done.update(id(key) for key, _ in outcome.failed)
            outcome.held.extend(key for key, _ in batch if id(key) not in done)
            outcome.config_error = err
    return outcome


def _send_batch(
    method: Callable[[Sequence[Any]], None],
    batch: list[tuple[K, Any]],
    outcome: SendOutcome[K],
    policy: RetryPolicy,
    on_retry: Callable[[BackendError, int, float], None] | None,
    backend: Backend,
) -> None:
    outcome.calls += 1
    records = [record for _, record in batch]
    try:
        policy.call(lambda: method(records), on_retry=on_retry)
    except ConfigurationError:
        raise
    except REFUSALS as err:
        if isinstance(err, BackendError) and err.retryable:
            if len(batch) > 1 and may_be_one_records(err):
                _bisect(method, batch, outcome, on_retry, backend)
                return
            outcome.retry.extend((key, err) for key, _ in batch)
            outcome.retry_after = max(outcome.retry_after, requested_wait(err))
        elif len(batch) > 1:
            for entry in batch:  # find the bad record(s): each alone
                _send_batch(method, [entry], outcome, policy, on_retry, backend)
        else:
            outcome.dead.extend((key, err) for key, _ in batch)
    except Exception as err:  # a backend bug may be transient: later, and loudly
        logger.exception(
            "unexpected error delivering %d record(s) to the %s backend", len(batch), backend.display_name
        )
        if len(batch) > 1 and may_be_one_records(err):
            _bisect(method, batch, outcome, on_retry, backend)
        else:
            outcome.retry.extend((key, err) for key, _ in batch)
    else:
        outcome.delivered.extend(key for key, _ in batch)


def _bisect(
    method: Callable[[Sequence[Any]], None],
    batch: list[tuple[K, Any]],
    outcome: SendOutcome[K],
    on_retry: Callable[[BackendError, int, float], None] | None,
    backend: Backend,
) -> None:
    """Send each half of ``batch`` again, once: the policy's retries were
    spent on the whole, and a half that fails the same way is halved again."""
    middle = len(batch) // 2
    for half in (batch[:middle], batch[middle:]):
        _send_batch(method, half, outcome, NO_RETRY, on_retry, backend)
