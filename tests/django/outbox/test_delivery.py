"""Draining the outbox on SQLite: batching, backoff, dead letters, leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalize_django.outbox import delivery
from personalize_django.client import get_backend
from personalize_django.outbox.delivery import (
    backoff_delay,
    claim,
    deliver_pending,
    held_by_configuration,
    prune_delivered,
    state_counts,
)
from personalize_django.models import OutboxEvent
from personalize_django.outbox import replay
from personalize_django.recording import queue_items, record_event
from personalize_django.signals import dead_lettered
from personalize_sdk import BackendError, ConfigurationError, Item, ThrottledError
from personalize_sdk.backends.memory import MemoryBackend

pytestmark = pytest.mark.django_db

MANUAL = {
    "BACKEND": "memory",
    "DELIVERY": "manual",
    "RETRY_BASE_DELAY": 1.0,
    "RETRY_MAX_DELAY": 60.0,
    "MAX_ATTEMPTS": 3,
}


@pytest.fixture(autouse=True)
def manual_delivery(settings):
    settings.PERSONALIZE = dict(MANUAL)


def record(n, session="s1", user=None, start=0):
    return [
        record_event("View", item=str(start + i), session_id=session, user=user) for i in range(n)
    ]


def states():
    return list(OutboxEvent.objects.order_by("id").values_list("state", flat=True))


def test_events_go_in_batches_the_backend_accepts(backend):
    record(25, session="a")
    record(3, session="b", start=100)
    report = deliver_pending()
    assert [len(call) for call in backend.event_calls] == [10, 10, 5, 3]
    assert all(len({e.session_id for e in call}) == 1 for call in backend.event_calls)
    assert (report.claimed, report.delivered, report.calls) == (28, 28, 4)
    assert set(states()) == {"delivered"}
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 0


def test_events_keep_their_ids_and_fields(backend):
    (event,) = record(1)
    deliver_pending()
    assert backend.events == [event]


def test_claims_are_limited_by_batch_size(backend):
    record(7)
    report = deliver_pending(batch_size=3, max_rows=5)
    assert report.claimed == 5
    assert states().count("pending") == 2


def test_two_claims_never_share_rows():
    record(6)
    _, first, _ = claim(4)
    _, second, _ = claim(4)
    assert len(first) == 4 and len(second) == 2
    assert not {r.pk for r in first} & {r.pk for r in second}
    _, third, _ = claim(4)
    assert third == []


def test_a_throttled_batch_backs_off(backend):
    record(3)
    backend.fail_next(ThrottledError(), times=1)
    before = timezone.now()
    report = deliver_pending()
    assert (report.delivered, report.deferred) == (0, 3)
    rows = list(OutboxEvent.objects.all())
    assert {r.state for r in rows} == {"pending"}
    assert {r.attempts for r in rows} == {1}
    assert all("ThrottledError" in r.last_error for r in rows)
    # first retry waits between base/2 and base seconds
    assert all(
        before + timedelta(seconds=0.5)
        <= r.next_attempt_at
        <= timezone.now() + timedelta(seconds=1)
        for r in rows
    )
    assert report.next_attempt_at == min(r.next_attempt_at for r in rows)
    assert deliver_pending().claimed == 0  # not due yet
    OutboxEvent.objects.update(next_attempt_at=timezone.now())
    assert deliver_pending().delivered == 3
    assert len(backend.events) == 3


def test_a_retry_after_hint_is_honoured(backend):
    record(1)
    throttled = ThrottledError()
    throttled.retry_after = 30  # the backend said: come back in 30 s
    backend.fail_next(throttled)
    before = timezone.now()
    deliver_pending()
    row = OutboxEvent.objects.get()
    assert row.next_attempt_at >= before + timedelta(seconds=30)


def test_backoff_grows_exponentially_and_is_capped():
    assert backoff_delay(1, rng=lambda: 1.0) == 1.0
    assert backoff_delay(1, rng=lambda: 0.0) == 0.5
    assert backoff_delay(4, rng=lambda: 1.0) == 8.0
    assert backoff_delay(30, rng=lambda: 1.0) == 60.0


def test_after_max_attempts_a_row_is_a_dead_letter(backend):
    record(1)
    dead = []
    dead_lettered.connect(
        lambda sender, rows, reason, **kw: dead.append(reason), weak=False, dispatch_uid="t"
    )
    try:
        for attempt in range(3):
            backend.fail_next(BackendError("service unavailable", retryable=True, status_code=503))
            OutboxEvent.objects.update(next_attempt_at=timezone.now())
            deliver_pending()
    finally:
        dead_lettered.disconnect(dispatch_uid="t")
    row = OutboxEvent.objects.get()
    assert (row.state, row.attempts) == ("dead", 3)
    assert (
        row.last_error
        == "gave up after 3 attempts; last error: BackendError: service unavailable (HTTP 503)"
    )
    assert dead == [row.last_error]


def test_a_refused_batch_is_split_to_find_the_bad_record(backend):
    record(4)
    bad = BackendError("InvalidInputException: bad event", retryable=False, status_code=400)
    backend.fail_next(bad, times=2)  # the batch of 4, then the first event alone
    report = deliver_pending()
    assert (report.delivered, report.dead, report.calls) == (3, 1, 5)
    assert states() == ["dead", "delivered", "delivered", "delivered"]
    assert OutboxEvent.objects.get(state="dead").attempts == 1  # no retry for what cannot succeed


def test_an_unexpected_exception_is_retried(backend, caplog):
    record(1)
    backend.fail_next(ZeroDivisionError("bug"))
    report = deliver_pending()
    assert report.deferred == 1
    assert "unexpected error delivering" in caplog.text


def test_an_unexpected_exception_of_a_batch_is_bisected_so_the_good_rows_are_delivered(backend):
    record(4)
    backend.fail_next(ZeroDivisionError("bug"), times=2)  # the batch, then its first half
    report = deliver_pending()
    assert report.delivered >= 2 and report.dead == 0
    assert report.delivered + report.deferred == 4


def test_a_configuration_error_holds_the_rows_pending_and_never_makes_dead_letters(
    backend, caplog
):
    record(3)
    queue_items([Item("1"), Item("2")])
    problem = ConfigurationError("The memory backend cannot store items: set OPTIONS['items']")
    for run in range(5):  # more runs than MAX_ATTEMPTS (3)
        backend.fail_next(problem, times=10, method="put_items")
        OutboxEvent.objects.filter(state="pending").update(next_attempt_at=timezone.now())
        report = deliver_pending()
        assert (report.held, report.dead) == (2, 0)
    items = OutboxEvent.objects.filter(kind="item")
    assert set(items.values_list("state", flat=True)) == {"pending"}
    assert set(items.values_list("attempts", flat=True)) == {0}  # the attempt is given back
    assert all(row.next_attempt_at > timezone.now() for row in items)
    assert set(OutboxEvent.objects.filter(kind="event").values_list("state", flat=True)) == {
        "delivered"
    }
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "held back" in r.message]
    assert len(errors) == 5
    assert "PERSONALIZE['BACKEND'] / PERSONALIZE['OPTIONS']" in errors[0].message
    assert "cannot store items" in errors[0].message
    (held,) = held_by_configuration()
    assert held[1] == 2 and "cannot store items" in held[0]


def test_rows_held_by_a_configuration_error_go_once_it_is_fixed(backend):
    queue_items([Item("1")])
    backend.fail_next(ConfigurationError("misconfigured"), method="put_items")
    assert deliver_pending().held == 1
    OutboxEvent.objects.update(next_attempt_at=timezone.now())
    report = deliver_pending()
    assert (report.held, report.delivered) == (0, 1)
    assert held_by_configuration() == []
    assert list(backend.items) == ["1"]


def test_a_backend_that_cannot_be_built_holds_the_rows_pending(settings, caplog):
    record(2)
    queue_items([Item("1")])
    settings.PERSONALIZE = {**MANUAL, "OPTIONS": {"no_such_option": 1}}  # MemoryBackend refuses it
    for run in range(4):  # more runs than MAX_ATTEMPTS (3)
        OutboxEvent.objects.update(next_attempt_at=timezone.now())
        report = deliver_pending()
        assert (report.held, report.dead, report.delivered, report.calls) == (3, 0, 0, 0)
    assert set(OutboxEvent.objects.values_list("state", "attempts")) == {("pending", 0)}
    errors = [r.message for r in caplog.records if r.levelname == "ERROR" and "held back" in r.message]
    assert len(errors) == 4
    assert "no_such_option" in errors[0] and "PERSONALIZE['BACKEND'] / PERSONALIZE['OPTIONS']" in errors[0]
    ((error, rows),) = held_by_configuration()
    assert rows == 3 and "no_such_option" in error
    settings.PERSONALIZE = dict(MANUAL)  # fixed: the rows go at their next try
    OutboxEvent.objects.update(next_attempt_at=timezone.now())
    assert deliver_pending().delivered == 3
    assert held_by_configuration() == []


def test_a_payload_that_does_not_decode_is_dead_at_once(backend):
    OutboxEvent.objects.create(kind="event", payload={"event_type": "View"})
    OutboxEvent.objects.create(kind="gizmo", payload={})
    record(1)
    report = deliver_pending()
    assert (report.delivered, report.dead) == (1, 2)
    reasons = list(OutboxEvent.objects.filter(state="dead").values_list("last_error", flat=True))
    assert reasons[0].startswith("payload does not decode: InvalidRecordError: Event.session_id")
    assert "unknown kind 'gizmo'" in reasons[1]


def test_an_expired_lease_is_claimed_again_and_counted(backend):
    record(3)
    token, rows, _ = claim(10)  # a worker claims, then dies without a word
    assert deliver_pending().claimed == 0  # the lease still holds
    OutboxEvent.objects.update(claimed_at=timezone.now() - timedelta(seconds=301))
    report = deliver_pending()
    assert (report.claimed, report.reclaimed, report.delivered) == (3, 3, 3)
    assert {(r.reclaims, r.attempts) for r in OutboxEvent.objects.all()} == {(1, 2)}


def test_a_late_worker_does_not_overwrite_a_reclaimed_row(backend):
    record(1)
    token, rows, _ = claim(1)
    OutboxEvent.objects.update(claimed_at=timezone.now() - timedelta(seconds=400))
    deliver_pending()  # another worker took it over and delivered it
    outcome = delivery.deliver_rows(rows, MemoryBackend())
    outcome.delivered, outcome.dead = [], [(rows[0], "late")]
    delivery._apply(outcome, token, "default", delivery.DeliveryReport())
    assert OutboxEvent.objects.get().state == "delivered"


def test_several_saves_of_one_item_send_the_newest(backend):
    queue_items([Item("1", {"price": 1}), Item("2"), Item("1", {"price": 3})])
    report = deliver_pending()
    assert backend.items["1"].properties == {"price": 3}
    assert report.calls == 1 and report.delivered == 3
    assert set(states()) == {"delivered"}


def test_older_saves_share_the_fate_of_the_newest(backend):
    queue_items([Item("1", {"price": 1}), Item("1", {"price": 3})])
    backend.fail_next(ThrottledError(), method="put_items")
    deliver_pending()
    assert states() == ["pending", "pending"]


def test_items_and_users_are_delivered(backend):
    from personalize_django.recording import queue_users
    from personalize_sdk import User

    queue_items([Item(str(i)) for i in range(12)])
    queue_users([User("u1", {"tier": "gold"})])
    report = deliver_pending()
    assert report.delivered == 13
    assert len(backend.items) == 12 and backend.users["u1"].properties == {"tier": "gold"}


def test_delivered_rows_can_be_deleted_at_once(settings):
    settings.PERSONALIZE = dict(MANUAL, KEEP_DELIVERED=0)
    backend = get_backend()
    record(3)
    deliver_pending()
    assert OutboxEvent.objects.count() == 0
    assert len(backend.events) == 3


def test_old_delivered_rows_are_pruned(backend):
    record(3)
    deliver_pending()
    OutboxEvent.objects.filter(pk=OutboxEvent.objects.first().pk).update(
        delivered_at=timezone.now() - timedelta(days=2)
    )
    assert prune_delivered() == 1
    assert state_counts() == {"pending": 0, "in_flight": 0, "delivered": 2, "dead": 0}


def test_a_run_stops_at_its_time_limit(backend):
    record(5)
    report = deliver_pending(batch_size=2, time_limit=0)
    assert report.out_of_time and report.claimed == 2


def test_replay_sends_dead_letters_again(backend):
    record(2)
    backend.fail_next(BackendError("nope", retryable=False), times=3)
    deliver_pending()
    assert states() == ["dead", "dead"]
    assert replay(OutboxEvent.objects.all()) == 2
    row = OutboxEvent.objects.first()
    assert (row.state, row.attempts) == ("pending", 0)
    deliver_pending()
    assert states() == ["delivered", "delivered"]
    assert OutboxEvent.objects.first().last_error == ""


def test_sync_delivery_failures_never_reach_the_caller(
    settings, django_capture_on_commit_callbacks
):
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "sync"}
    backend = get_backend()
    backend.fail_next(RuntimeError("backend bug"))
    with django_capture_on_commit_callbacks(execute=True):
        record_event("View", item="1", session_id="s")
    assert OutboxEvent.objects.get().state == "pending"
