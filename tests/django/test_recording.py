"""record_event: validation at the call site, one outbox row, delivery on commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory, override_settings

from personalize_django.models import OutboxEvent
from personalize_django.recording import queue_items, record_event
from personalize_django.signals import CancelRecord, post_record, pre_record
from personalize_sdk import InvalidRecordError, Item
from tests.django.conftest import outbox_payloads

pytestmark = pytest.mark.django_db


def test_one_row_with_the_event_payload():
    event = record_event(
        "View", item="42", user="7", session_id="s1", properties={"device": "mobile"}
    )
    row = OutboxEvent.objects.get()
    assert (row.kind, row.state, row.record_id) == ("event", "pending", event.event_id)
    assert row.payload == event.to_dict()
    assert row.payload["properties"] == {"device": "mobile"}


def test_the_row_is_a_new_pending_row():
    record_event("View", item="1", session_id="s")
    record_event("View", item="2", session_id="s")
    first, second = OutboxEvent.objects.order_by("pk")
    for row in (first, second):
        assert (row.attempts, row.reclaims, row.claimed_by, row.last_error) == (0, 0, "", "")
        assert row.claimed_at is None and row.delivered_at is None
        assert row.next_attempt_at == row.created_at  # due at once
    assert first.created_at <= second.created_at
    assert first.record_id != second.record_id


def test_model_instances_are_turned_into_ids(shop):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("dee")
    event = record_event(
        "View", item=shop["boot"], user=user, impression=[shop["boot"], shop["cap"], "99"]
    )
    assert event.item_id == str(shop["boot"].pk)
    assert event.user_id == str(user.pk)
    assert event.session_id == f"user-{user.pk}"
    assert event.impression == (str(shop["boot"].pk), str(shop["cap"].pk), "99")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"item": "x" * 257, "session_id": "s"}, "item_id"),
        ({"item": "1", "session_id": "s", "properties": {"userId": "u"}}, "properties['userId']"),
        ({"item": "1", "session_id": "s", "value": "cheap"}, "event_value"),
        ({"item": "1"}, "session_id"),
    ],
)
def test_bad_input_raises_at_the_call_site_naming_the_field(kwargs, field):
    with pytest.raises(InvalidRecordError) as info:
        record_event("View", **kwargs)
    assert info.value.field == field
    assert OutboxEvent.objects.count() == 0


def test_a_rolled_back_transaction_records_nothing(backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                record_event("Purchase", item="1", user="u", value=10)
                raise RuntimeError("payment declined")
    assert OutboxEvent.objects.count() == 0
    assert callbacks == []
    assert backend.events == []


def test_a_committed_transaction_is_delivered_after_commit(
    backend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            for n in range(3):
                record_event("View", item=str(n), session_id="s1")
            assert backend.events == []  # nothing happens before the commit
    assert len(callbacks) == 1  # one delivery per transaction, not per row
    assert [e.item_id for e in backend.events] == ["0", "1", "2"]
    assert set(OutboxEvent.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_rolled_back_savepoint_keeps_the_outer_delivery(
    backend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record_event("View", item="gone", session_id="s1")
                    raise ValueError
            except ValueError:
                pass
            record_event("View", item="kept", session_id="s1")
    assert len(callbacks) == 1
    assert [e.item_id for e in backend.events] == ["kept"]


@override_settings(PERSONALIZE={"BACKEND": "memory", "DELIVERY": "manual"})
def test_manual_delivery_leaves_rows_pending(backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_event("View", item="1", session_id="s")
    assert backend.events == []
    assert OutboxEvent.objects.get().state == "pending"


def test_pre_record_can_cancel():
    def cancel(sender, event, request, **kwargs):
        if event.item_id == "bot":
            raise CancelRecord("bot")

    pre_record.connect(cancel)
    try:
        assert record_event("View", item="bot", session_id="s") is None
        assert record_event("View", item="human", session_id="s") is not None
    finally:
        pre_record.disconnect(cancel)
    assert [p["item_id"] for p in outbox_payloads()] == ["human"]


def test_a_receiver_connected_after_events_were_recorded_is_called():
    # The signals remember their receivers per sender: connecting one must still count.
    record_event("View", item="1", session_id="s")

    def cancel(sender, event, request, **kwargs):
        raise CancelRecord("connected late")

    pre_record.connect(cancel)
    try:
        assert record_event("View", item="2", session_id="s") is None
    finally:
        pre_record.disconnect(cancel)
    assert record_event("View", item="3", session_id="s") is not None
    assert [p["item_id"] for p in outbox_payloads()] == ["1", "3"]


def test_post_record_gets_the_row_id():
    seen = []

    def receiver(sender, event, request, outbox_id, **kwargs):
        seen.append((event.item_id, outbox_id))

    post_record.connect(receiver)
    try:
        record_event("View", item="9", session_id="s")
    finally:
        post_record.disconnect(receiver)
    assert seen == [("9", OutboxEvent.objects.get().pk)]


def test_an_explicit_event_id_is_recorded_once():
    with transaction.atomic():
        first = record_event("View", item="1", session_id="s", event_id="evt-1")
        again = record_event("View", item="1", session_id="s", event_id="evt-1")
        record_event("View", item="2", session_id="s")  # the transaction is still usable
    assert first is not None and again is None
    assert OutboxEvent.objects.filter(record_id="evt-1").count() == 1
    assert OutboxEvent.objects.count() == 2


def test_no_consent_records_nothing():
    request = RequestFactory().get("/")
    request.session = {}
    with override_settings(PERSONALIZE={"BACKEND": "memory", "CONSENT": lambda r: False}):
        assert record_event("View", request=request, item="1") is None
    assert OutboxEvent.objects.count() == 0
    assert request.session == {}  # not even a session id was made


@override_settings(PERSONALIZE={"BACKEND": "memory", "ENABLED": False})
def test_disabled_records_nothing():
    assert record_event("View", item="1", session_id="s") is None
    assert queue_items([Item("1")]) == 0
    assert OutboxEvent.objects.count() == 0


def test_queue_items_writes_one_row_each():
    assert queue_items([Item("1"), Item("2", {"price": 3})]) == 2
    assert outbox_payloads("item") == [
        {"item_id": "1"},
        {"item_id": "2", "properties": {"price": 3}},
    ]


def test_the_insert_is_seen_by_query_observers(django_assert_num_queries):
    from django.db import connection

    # a test counting queries (Django's debug cursor)
    with django_assert_num_queries(1) as captured:
        record_event("View", item="1", session_id="s")
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "personalize_outboxevent"')
    # an execute_wrapper() hook (how APM tools instrument Django)
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        record_event("View", item="2", session_id="s")
    assert len(seen) == 1 and seen[0].startswith('INSERT INTO "personalize_outboxevent"')
    assert [p["item_id"] for p in outbox_payloads()] == ["1", "2"]


def test_the_insert_goes_through_djangos_cursor_when_it_is_instrumented(monkeypatch):
    import functools

    from django.db import connection
    from django.db.backends.utils import CursorWrapper

    from personalize_django.outbox import writing as recording

    assert recording._unobserved(connection)
    calls = []
    original = CursorWrapper.execute

    @functools.wraps(original)
    def instrumented(self, sql, params=None):  # what Sentry-like tools do
        calls.append(sql)
        return original(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", instrumented)
    assert not recording._unobserved(connection)
    record_event("View", item="1", session_id="s")
    assert [sql.split(" (")[0] for sql in calls] == ['INSERT INTO "personalize_outboxevent"']
    assert [p["item_id"] for p in outbox_payloads()] == ["1"]


def test_only_djangos_own_cursor_execute_counts_as_unobserved():
    import functools

    from django.db.backends.utils import CursorWrapper

    from personalize_django.outbox import writing as recording

    def replaced(self, sql, params=None):  # a tool's replacement, without __wrapped__
        return None

    assert recording._is_djangos_execute(CursorWrapper.execute)
    assert not recording._is_djangos_execute(replaced)
    assert not recording._is_djangos_execute(functools.wraps(CursorWrapper.execute)(replaced))


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_delivery_starts_right_after_the_insert(settings):
    from personalize_django.client import get_backend

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "sync"}
    record_event("View", item="1", session_id="s")
    assert [e.item_id for e in get_backend().events] == ["1"]
    assert OutboxEvent.objects.get().state == "delivered"
