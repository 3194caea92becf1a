"""The one write path: batches, splitting, retryable or dead, held on misconfiguration."""

from __future__ import annotations

import logging

import pytest

from personalize_sdk import BackendError, Client, ConfigurationError, Event, Item, ThrottledError
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.retry import RetryPolicy
from personalize_sdk.sending import send
from personalize_sdk.use_cases import RankingRequest, RecommendationRequest

REFUSED = BackendError("InvalidInputException: bad record", retryable=False, status_code=400)


def events(n, session="s1", start=0):
    return [Event("View", session_id=session, item_id=str(start + i)) for i in range(n)]


def entries(records):
    return [(index, record) for index, record in enumerate(records)]


def test_events_go_in_calls_of_one_session_and_the_backends_size():
    backend = MemoryBackend()
    outcome = send(backend, "events", entries(events(12, "a") + events(3, "b", start=50)))
    assert [len(call) for call in backend.event_calls] == [10, 2, 3]
    assert all(len({e.session_id for e in call}) == 1 for call in backend.event_calls)
    assert outcome.delivered == list(range(15)) and outcome.calls == 3


def test_items_go_in_chunks():
    backend = MemoryBackend()
    outcome = send(backend, "items", entries([Item(str(i)) for i in range(23)]))
    assert sorted(backend.items, key=int) == [str(i) for i in range(23)]
    assert outcome.calls == 3 and len(outcome.delivered) == 23


def test_a_refused_batch_is_split_and_only_the_bad_record_is_dead():
    backend = MemoryBackend()
    backend.fail_next(REFUSED, times=2)  # the batch of 4, then the first event alone
    outcome = send(backend, "events", entries(events(4)))
    assert outcome.delivered == [1, 2, 3]
    assert outcome.dead == [(0, REFUSED)] and outcome.retry == []
    assert outcome.calls == 5


def test_a_retryable_failure_puts_the_batch_back_with_the_wait_asked_for():
    backend = MemoryBackend()
    throttled = ThrottledError("slow down")
    throttled.retry_after = 7  # what the HTTP backend sets from Retry-After
    backend.fail_next(throttled)
    outcome = send(backend, "events", entries(events(3)))
    assert [key for key, _ in outcome.retry] == [0, 1, 2] and outcome.dead == []
    assert outcome.retry_after == 7.0 and backend.events == []


def test_the_policy_retries_within_the_call():
    backend = MemoryBackend()
    backend.fail_next(ThrottledError("slow down"), times=2)
    retries = []
    policy = RetryPolicy(max_attempts=3, base_delay=0, max_delay=0, deadline=None)
    outcome = send(
        backend, "events", entries(events(2)), policy=policy, on_retry=lambda *a: retries.append(a)
    )
    assert outcome.delivered == [0, 1] and len(retries) == 2


def test_an_unexpected_exception_is_logged_and_retried_later(caplog):
    backend = MemoryBackend()
    backend.fail_next(ZeroDivisionError("bug"))
    with caplog.at_level(logging.ERROR, logger="personalize_sdk"):
        outcome = send(backend, "events", entries(events(1)))
    assert [key for key, _ in outcome.retry] == [0]
    assert "unexpected error delivering 1 record(s) to the memory backend" in caplog.text


class PoisonedBackend(MemoryBackend):
    """Fails every call whose batch holds an event of item ``poison``, the way
    a server answers 500 for a value it cannot store."""

    def __init__(self, error, **kwargs):
        super().__init__(**kwargs)
        self.error = error
        self.calls = []

    def put_events(self, events):
        self.calls.append([e.item_id for e in events])
        if any(e.item_id == "poison" for e in events):
            raise self.error
        super().put_events(events)


def poisoned_batch(n=10, at=6):
    batch = events(n)
    batch[at] = Event("View", session_id="s1", item_id="poison")
    return batch


@pytest.mark.parametrize(
    "error",
    [
        BackendError("internal error", retryable=True, status_code=500),
        TypeError("Object of type bytes is not JSON serializable"),
        UnicodeEncodeError("utf-8", "\udc00", 0, 1, "surrogates not allowed"),
    ],
    ids=["http-500", "serialization", "encoding"],
)
def test_a_poisoned_record_is_isolated_even_when_the_failure_is_retryable(error):
    backend = PoisonedBackend(error)
    policy = RetryPolicy(max_attempts=3, base_delay=0, max_delay=0, deadline=None)
    outcome = send(backend, "events", entries(poisoned_batch()), policy=policy)
    assert sorted(outcome.delivered) == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert [key for key, _ in outcome.retry] == [6] and outcome.dead == []
    assert sorted(e.item_id for e in backend.events) == sorted(str(i) for i in range(10) if i != 6)
    # Bisection: the whole (the policy retries a BackendError 3 times, an
    # unexpected exception not at all), then halves, each tried once.
    whole = 3 if isinstance(error, BackendError) else 1
    assert backend.calls[:whole] == [[e.item_id for e in poisoned_batch()]] * whole
    assert backend.calls[whole:] == [
        ["0", "1", "2", "3", "4"], ["5", "poison", "7", "8", "9"], ["5", "poison"], ["5"], ["poison"],
        ["7", "8", "9"],
    ]


def test_a_poisoned_record_alone_in_its_batch_is_put_back_not_split():
    backend = PoisonedBackend(BackendError("internal error", retryable=True, status_code=500))
    outcome = send(backend, "events", entries([Event("View", session_id="s1", item_id="poison")]))
    assert [key for key, _ in outcome.retry] == [0] and outcome.calls == 1


@pytest.mark.parametrize(
    "error",
    [
        ThrottledError("slow down"),
        BackendError("bad gateway", retryable=True, status_code=502),
        BackendError("unavailable", retryable=True, status_code=503),
        BackendError("timed out", retryable=True, code="timeout"),
        ConnectionResetError("reset by peer"),
    ],
    ids=["throttled", "502", "503", "timeout", "network"],
)
def test_failures_that_say_nothing_of_the_records_put_the_batch_back_whole(error):
    backend = PoisonedBackend(error)
    outcome = send(backend, "events", entries(poisoned_batch()))
    assert backend.calls == [[e.item_id for e in poisoned_batch()]]
    assert [key for key, _ in outcome.retry] == list(range(10)) and outcome.delivered == []


def test_a_batch_failing_as_a_whole_every_time_costs_at_most_2n_minus_1_calls():
    backend = MemoryBackend()
    error = BackendError("internal error", retryable=True, status_code=500)
    backend.fail_next(error, times=1000)
    outcome = send(backend, "events", entries(events(10)))
    assert len(outcome.retry) == 10 and outcome.calls == 19


def test_a_configuration_error_holds_the_rest_and_never_makes_dead_records():
    backend = MemoryBackend()
    problem = ConfigurationError("set OPTIONS['x']")
    records = events(10, "a") + events(2, "b", start=50) + events(2, "c", start=60)
    backend.fail_next(problem)  # the first call raises; the next two are never made
    outcome = send(backend, "events", entries(records))
    assert outcome.config_error is problem
    assert outcome.delivered == [] and outcome.dead == [] and outcome.retry == []
    assert outcome.held == list(range(14)) and outcome.calls == 1


def test_records_delivered_before_a_configuration_error_stay_delivered():
    class ItemsFailBackend(MemoryBackend):
        calls = 0

        def put_items(self, items):
            type(self).calls += 1
            if type(self).calls == 2:
                raise ConfigurationError("the items dataset is not configured")
            super().put_items(items)

    backend = ItemsFailBackend()
    outcome = send(backend, "items", entries([Item(str(i)) for i in range(25)]))
    assert outcome.delivered == list(range(10))
    assert outcome.held == list(range(10, 25))
    assert "not configured" in str(outcome.config_error)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of events, items, users"):
        send(MemoryBackend(), "orders", [])


def test_a_sync_client_delivers_the_good_records_and_raises_for_the_bad_one():
    backend = MemoryBackend()
    client = Client(backend, sync_mode=True, retry=RetryPolicy(max_attempts=1))
    backend.fail_next(REFUSED, times=2)
    with pytest.raises(BackendError) as info:
        client.record_many(events(3))
    assert info.value is REFUSED
    assert [e.item_id for e in backend.events] == ["1", "2"]
    assert client.stats["delivered"] == 2 and client.stats["failed"] == 1


def test_a_sync_client_raises_the_configuration_error():
    backend = MemoryBackend()
    client = Client(backend, sync_mode=True)
    backend.fail_next(ConfigurationError("misconfigured"))
    with pytest.raises(ConfigurationError, match="misconfigured"):
        client.put_items([Item("1")])
    assert client.stats["failed"] == 1


def test_a_background_client_reports_held_records_through_on_error():
    backend = MemoryBackend()
    failures = []
    client = Client(backend, on_error=lambda err, batch: failures.append((err, batch)))
    backend.fail_next(ConfigurationError("misconfigured"))
    item = Item("1")
    client.put_items([item])
    assert client.flush(timeout=10)
    client.close()
    assert [(str(err), batch) for err, batch in failures] == [("misconfigured", [item])]


def test_recommend_and_rank_take_a_request_built_beforehand():
    backend = MemoryBackend()
    client = Client(backend, sync_mode=True)
    request = RecommendationRequest("best_sellers", num_results=3)
    client.recommend(request)
    ranking = RankingRequest("u1", ("a", "b"))
    client.rank(ranking)
    assert backend.requests == [request, ranking]


def test_a_request_object_comes_alone():
    client = Client(MemoryBackend(), sync_mode=True)
    with pytest.raises(TypeError, match="request object alone"):
        client.recommend(RecommendationRequest("best_sellers"), filter="x")
    with pytest.raises(TypeError, match="request object alone"):
        client.rank(RankingRequest("u1", ("a",)), ["b"])
