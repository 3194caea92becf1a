import pytest

from personalize_sdk import (
    BackendError,
    Client,
    ConfigurationError,
    Event,
    InvalidRecordError,
    InvalidRequestError,
    Item,
    ThrottledError,
    User,
)
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.retry import RetryPolicy

NO_WAIT = RetryPolicy(max_attempts=3, base_delay=0, max_delay=0)


def view(item, session="s1", user=None):
    return Event("View", session_id=session, item_id=item, user_id=user)


def test_sync_mode_delivers_in_batches_before_returning(sync_client, memory_backend):
    sync_client.record_many([view(str(i)) for i in range(23)] + [view("x", session="s2")])
    assert [len(call) for call in memory_backend.event_calls] == [10, 10, 3, 1]
    assert sync_client.stats["delivered"] == 24


def test_sync_mode_retries_throttling_then_delivers_exactly_once(sync_client, memory_backend):
    memory_backend.fail_next(ThrottledError(), times=2)
    sync_client.record(view("1"))
    assert [e.item_id for e in memory_backend.events] == ["1"]
    assert sync_client.stats["retries"] == 2


def test_sync_mode_raises_what_cannot_be_retried(sync_client, memory_backend):
    memory_backend.fail_next(BackendError("no such tracker", retryable=False))
    with pytest.raises(BackendError, match="no such tracker"):
        sync_client.record(view("1"))
    assert sync_client.stats["failed"] == 1


def test_sync_mode_gives_up_after_the_attempts(sync_client, memory_backend):
    memory_backend.fail_next(ThrottledError(), times=5)
    with pytest.raises(ThrottledError):
        sync_client.record(view("1"))
    assert memory_backend.events == []


def test_items_and_users_are_batched_by_ten(sync_client, memory_backend):
    sync_client.put_items([Item(str(i)) for i in range(25)])
    sync_client.put_users([User("u1", {"MEMBERSHIP": "gold"})])
    assert len(memory_backend.items) == 25
    assert memory_backend.users["u1"].properties == {"MEMBERSHIP": "gold"}


def test_only_records_are_accepted(sync_client):
    with pytest.raises(InvalidRecordError, match=r"events\[1\]: must be a Event"):
        sync_client.record_many([view("1"), {"event_type": "View"}])


def test_background_mode_delivers_on_flush():
    backend = MemoryBackend()
    with Client(backend, retry=NO_WAIT) as client:
        for i in range(15):
            assert client.record(view(str(i)))
        assert client.flush(10)
        assert [e.item_id for e in backend.events] == [str(i) for i in range(15)]
    assert backend.closed


def test_closed_clients_refuse_writes():
    client = Client(MemoryBackend(), sync_mode=True)
    client.close()
    with pytest.raises(Exception, match="closed"):
        client.record(view("1"))


def test_recommend_returns_the_backend_answer(sync_client, memory_backend):
    memory_backend.set_recommendations("also_viewed", [("7", 0.9), ("3", 0.5)], item_id="1", recommendation_id="RID-1")
    recs = sync_client.recommend("also_viewed", item_id="1", num_results=1)
    assert recs.item_ids == ["7"] and recs[0].score == 0.9 and recs.recommendation_id == "RID-1"
    assert memory_backend.requests[0].item_id == "1"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"use_case": "popular"}, "use_case"),
        ({"use_case": "recommended_for_you"}, "user_id"),
        ({"use_case": "also_viewed"}, "item_id"),
        ({"use_case": "bought_together", "user_id": "u"}, "item_id"),
        ({"use_case": "best_sellers", "num_results": 0}, "num_results"),
        ({"use_case": "best_sellers", "num_results": 501}, "num_results"),
        ({"use_case": "best_sellers", "filter_values": {"bad-name": "x"}}, "filter_values['bad-name']"),
        ({"use_case": "best_sellers", "context": {"DEVICE": 3}}, "context['DEVICE']"),
    ],
)
def test_bad_requests_name_the_field(sync_client, kwargs, field):
    use_case = kwargs.pop("use_case")
    with pytest.raises(InvalidRequestError) as info:
        sync_client.recommend(use_case, **kwargs)
    assert info.value.field == field


def test_rank_checks_its_input(sync_client, memory_backend):
    memory_backend.set_recommendations("recommended_for_you", ["c", "a"], user_id="u")
    assert sync_client.rank("u", ["a", "b", "c"]).item_ids == ["c", "a", "b"]
    with pytest.raises(InvalidRequestError, match="at most 500"):
        sync_client.rank("u", [str(i) for i in range(501)])
    with pytest.raises(InvalidRequestError, match="at least one"):
        sync_client.rank("u", [])


def test_reads_retry_once_on_throttling(sync_client, memory_backend):
    memory_backend.fail_next(ThrottledError(), method="recommend")
    assert sync_client.recommend("best_sellers").use_case == "best_sellers"
    memory_backend.fail_next(ThrottledError(), times=2, method="recommend")
    with pytest.raises(ThrottledError):
        sync_client.recommend("best_sellers")


def test_backends_are_chosen_by_dotted_path_or_alias():
    assert isinstance(Client("memory", sync_mode=True).backend, MemoryBackend)
    client = Client("personalize_sdk.backends.memory.MemoryBackend", options={"max_events_per_call": 3}, sync_mode=True)
    assert client.backend.max_events_per_call == 3


@pytest.mark.parametrize(
    "backend, options, message",
    [
        ("personalize_sdk.backends.nothing.Backend", None, "cannot be imported"),
        ("personalize_sdk.backends.memory.Nope", None, "has no 'Nope'"),
        ("personalize_sdk.records.Event", None, "not a subclass"),
        ("memory", {"colour": "red"}, "colour"),
        (MemoryBackend(), {"x": 1}, "cannot be given with a backend instance"),
        (42, None, "neither"),
    ],
)
def test_backend_configuration_errors_are_clear(backend, options, message):
    with pytest.raises(ConfigurationError, match=message):
        Client(backend, options=options, sync_mode=True)


def test_filters_are_parsed_once_when_the_client_is_built():
    from personalize_sdk.filters import Filter

    client = Client(MemoryBackend(), sync_mode=True, filters={"cheap": "INCLUDE ItemID WHERE Items.PRICE < 10"})
    assert isinstance(client.filters["cheap"], Filter)
    assert isinstance(client.backend.filters["cheap"], Filter)
    with pytest.raises(ConfigurationError, match="'cheap' does not parse"):
        Client(MemoryBackend(), sync_mode=True, filters={"cheap": "INCLUDE ItemID Items.PRICE < 10"})
