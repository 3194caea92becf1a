"""The AWS backend end to end: the scenarios of ``test_aws.py``, run again
through real boto3 clients over real HTTP against the local
Personalize-compatible server (``personalize_sdk.server``).

Where ``test_aws.py`` checks the parameters botocore's Stubber receives, these
check what arrives in the backend behind the server, so boto3's
serialization, signing, error parsing and the Client's retries are all real.
The server sits over a :class:`MemoryBackend` (to see exactly what arrived
and to make it fail on cue) or over the local engine.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

boto3 = pytest.importorskip("boto3")
import botocore.exceptions  # noqa: E402

from personalize_sdk import (  # noqa: E402
    InvalidRequestError,
    BackendError,
    Client,
    Event,
    InvalidRecordError,
    Item,
    NotReadyError,
    RetryPolicy,
    ThrottledError,
    User,
)
from personalize_sdk.backends.aws import AwsBackend  # noqa: E402
from personalize_sdk.backends.memory import MemoryBackend  # noqa: E402
from personalize_sdk.server import PersonalizeServer, ServerConfig, ServerThread  # noqa: E402
from tests.conftest import isolate_from_real_aws  # noqa: E402

REGION = "us-east-1"
KEY_ID, SECRET = "AKIDLOCALTEST", "local-secret"
TRACKING_ID = "local-tracking-id"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
NO_WAIT = RetryPolicy(max_attempts=4, base_delay=0, max_delay=0)
FILTERS = {
    "in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    "not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
}
CONFIG = ServerConfig(filters=FILTERS)


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch, tmp_path):
    """Nothing here may read real credentials or reach AWS."""
    isolate_from_real_aws(monkeypatch, tmp_path, key_id=KEY_ID, secret=SECRET)


def serve(backend, config: ServerConfig = CONFIG) -> tuple[PersonalizeServer, ServerThread]:
    app = PersonalizeServer(backend, config)
    return app, ServerThread(app).start()


@pytest.fixture(scope="module")
def server():
    app, thread = serve(MemoryBackend())
    yield thread
    thread.stop()


@pytest.fixture
def memory(server) -> MemoryBackend:
    backend = server.app.backend
    backend.reset()
    return backend


def make_backend(url: str, config: ServerConfig = CONFIG, **options) -> AwsBackend:
    """An AwsBackend configured with the server's ARNs, as a shop would configure it."""
    defaults = dict(
        region_name=REGION,
        endpoint_url=url,
        tracking_id=TRACKING_ID,
        items_dataset_arn=config.items_dataset_arn,
        users_dataset_arn=config.users_dataset_arn,
        recommenders={"also_viewed": config.recommender_arn("also_viewed")},
        campaigns={
            "recommended_for_you": config.campaign_arn("recommended_for_you"),
            "best_sellers": config.campaign_arn("best_sellers"),
        },
        ranking_campaign=config.campaign_arn("personalized-ranking"),
        filters={name: config.filter_arn(name) for name in FILTERS},
    )
    defaults.update(options)
    return AwsBackend(**defaults)


@pytest.fixture
def backend(server):
    backend = make_backend(server.url)
    yield backend
    backend.close()


@pytest.fixture
def client(backend):
    client = Client(backend, sync_mode=True, retry=NO_WAIT, read_retry=NO_WAIT)
    yield client
    client.close()


def views(n: int, *, session: str = "s1", user: str | None = "u1") -> list[Event]:
    return [
        Event("View", session_id=session, user_id=user, item_id=f"item-{session}-{i}", sent_at=T0)
        for i in range(n)
    ]


# -- PutEvents ------------------------------------------------------------
def test_23_events_of_one_session_go_as_10_10_and_3(client, memory):
    events = views(23)

    client.record_many(events)

    assert [len(call) for call in memory.event_calls] == [10, 10, 3]
    assert [e.event_id for e in memory.events] == [e.event_id for e in events]
    assert client.stats["delivered"] == 23


def test_two_sessions_never_share_a_call(client, memory):
    first, second = views(3, session="s1", user="u1"), views(2, session="s2", user=None)

    client.record_many([first[0], second[0], first[1], second[1], first[2]])

    calls = {
        tuple(sorted({(e.user_id or "", e.session_id) for e in call})): len(call)
        for call in memory.event_calls
    }
    assert calls == {(("", "s2"),): 2, (("u1", "s1"),): 3}  # one pair per call


def test_an_anonymous_session_arrives_without_a_user(backend, memory):
    backend.put_events(views(2, user=None))

    assert [(e.user_id, e.session_id) for e in memory.events] == [(None, "s1"), (None, "s1")]


def test_event_members_survive_the_round_trip(backend, memory):
    event = Event(
        "Click",
        session_id="s1",
        user_id="u1",
        item_id="42",
        sent_at=T0,
        event_value=19.5,
        properties={"device": "mobile"},
        impression=["41", "42", "43"],
        recommendation_id="RID-1",
        event_id="e-1",
    )

    backend.put_events([event])

    assert memory.events == [event]  # every compared field, sent_at included


def test_throttling_then_success_delivers_everything_exactly_once(client, memory):
    memory.fail_next(ThrottledError(), method="put_events")

    client.record_many(views(12))

    assert client.stats == {"delivered": 12, "failed": 0, "dropped": 0, "retries": 1}
    assert len({e.event_id for e in memory.events}) == len(memory.events) == 12


def test_a_throttled_batch_is_retried_exactly_per_the_retry_policy(backend, memory):
    memory.fail_next(ThrottledError(), times=3, method="put_events")
    client = Client(
        backend, sync_mode=True, retry=RetryPolicy(max_attempts=3, base_delay=0, max_delay=0)
    )

    with pytest.raises(ThrottledError) as info:
        client.record_many(views(3))

    assert info.value.retryable and info.value.code == "ThrottlingException"
    assert info.value.status_code == 400
    assert client.stats["retries"] == 2 and client.stats["failed"] == 3
    assert memory.events == []
    client.close()


def test_invalid_input_is_not_retried_and_carries_the_service_message(client, memory):
    memory.fail_next(
        InvalidRecordError("item_id", "is not in the Items dataset"), method="put_events"
    )

    with pytest.raises(BackendError) as info:
        client.record_many(views(1))

    error = info.value
    assert not isinstance(error, ThrottledError)
    assert (error.retryable, error.code, error.status_code, error.backend) == (
        False,
        "InvalidInputException",
        400,
        "aws",
    )
    assert "is not in the Items dataset" in error.message
    assert client.stats["retries"] == 0


@pytest.mark.parametrize(
    "code, status, retryable, kind",
    [
        ("InternalFailure", 500, True, BackendError),
        ("ServiceUnavailable", 503, True, BackendError),
        ("SomethingNew", 502, True, BackendError),
        ("TooManyRequestsException", 400, True, ThrottledError),
        ("ProvisionedThroughputExceeded", 400, True, ThrottledError),
        ("ResourceInUseException", 409, True, BackendError),
        ("AccessDeniedException", 400, False, BackendError),
        ("ResourceNotFoundException", 404, False, BackendError),
    ],
)
def test_service_errors_map_by_code_and_status(backend, memory, code, status, retryable, kind):
    memory.fail_next(BackendError("nope", code=code, status_code=status), method="put_events")

    with pytest.raises(kind) as info:
        backend.put_events(views(1))

    assert (info.value.retryable, info.value.code, info.value.status_code) == (
        retryable,
        code,
        status,
    )


def test_an_unknown_tracking_id_is_not_retried(server, memory):
    backend = make_backend(server.url, tracking_id="not-a-tracker")

    with pytest.raises(BackendError) as info:
        backend.put_events(views(1))

    assert (info.value.code, info.value.status_code, info.value.retryable) == (
        "ResourceNotFoundException",
        404,
        False,
    )
    backend.close()


def test_connection_errors_are_retryable():
    app, thread = serve(MemoryBackend())
    url = thread.url
    thread.stop()  # nothing listens there any more
    backend = make_backend(url)

    with pytest.raises(BackendError) as info:
        backend.put_events(views(1))

    assert info.value.retryable is True
    assert info.value.code == "EndpointConnectionError"
    backend.close()


# -- PutItems / PutUsers --------------------------------------------------
def test_put_items_and_users_reach_their_datasets(client, memory):
    items = [Item(str(i), properties={"price": i, "categoryL1": "shoes"}) for i in range(12)]

    client.put_items(items)
    client.put_users([User("u1", properties={"membership": "gold"})])

    assert sorted(memory.items, key=int) == [str(i) for i in range(12)]
    assert memory.items["11"].properties == {"categoryL1": "shoes", "price": 11}
    assert memory.users["u1"].properties == {"membership": "gold"}
    assert client.stats["delivered"] == 13


def test_items_sent_to_the_users_dataset_are_refused(server, memory):
    config = CONFIG
    backend = make_backend(server.url, items_dataset_arn=config.users_dataset_arn)

    with pytest.raises(BackendError) as info:
        backend.put_items([Item("1")])

    assert info.value.code == "InvalidInputException" and memory.items == {}
    backend.close()


# -- GetRecommendations ---------------------------------------------------
def test_recommend_sends_recommender_filter_and_decodable_values(client, memory):
    memory.set_recommendations("also_viewed", [("7", 0.8), ("3", 0.2)], recommendation_id="RID-abc")

    result = client.recommend(
        "also_viewed",
        item_id="42",
        user_id="u1",
        num_results=5,
        filter="in_category",
        filter_values={"CATEGORY": ["shoes", "socks"], "BRAND": "acme"},
    )

    assert [(r.item_id, r.score) for r in result] == [("7", 0.8), ("3", 0.2)]
    assert (result.recommendation_id, result.use_case, result.source) == (
        "RID-abc",
        "also_viewed",
        "model",
    )
    request = memory.requests[-1]
    assert (request.use_case, request.item_id, request.user_id, request.num_results) == (
        "also_viewed",
        "42",
        "u1",
        5,
    )
    assert request.filter == "in_category"
    assert dict(request.filter_values) == {"CATEGORY": ("shoes", "socks"), "BRAND": ("acme",)}


def test_also_viewed_without_a_user_is_refused_as_personalize_refuses_it(client, server, memory):
    # The ECOMMERCE "Customers who viewed X also viewed" recommender needs the
    # user too (to leave out what they bought). AwsBackend refuses before sending...
    with pytest.raises(InvalidRequestError) as info:
        client.recommend("also_viewed", item_id="42")
    assert info.value.field == "user_id"

    # ...and a raw boto3 call that sends it anyway gets Personalize's 400.
    runtime = client.backend.runtime_client
    with pytest.raises(botocore.exceptions.ClientError) as raw:
        runtime.get_recommendations(recommenderArn=client.backend.recommenders["also_viewed"], itemId="42")
    assert raw.value.response["Error"]["Code"] == "InvalidInputException"
    assert memory.requests == []


def test_recommend_uses_the_campaign_with_user_scores_and_context(client, memory):
    memory.set_recommendations("recommended_for_you", [("1", 0.6), ("2", 0.4)])

    result = client.recommend("recommended_for_you", user_id="u1", context={"DEVICE": "mobile"})

    assert [(r.item_id, r.score) for r in result] == [("1", 0.6), ("2", 0.4)]
    assert dict(memory.requests[-1].context) == {"DEVICE": "mobile"}
    assert memory.requests[-1].num_results == 10


def test_recommend_sends_the_configured_promotion(server, memory):
    memory.set_recommendations("best_sellers", [(str(n), 1 - n / 10) for n in range(10)])
    backend = make_backend(
        server.url,
        promotion={
            "name": "summer-sale",
            "percent_promoted_items": 20,
            "filter": "in_category",
            "filter_values": {"CATEGORY": "summer"},
        },
    )

    with Client(backend, sync_mode=True) as client:
        result = client.recommend("best_sellers", num_results=10)

    promoted_request, regular_request = memory.requests[-2:]
    assert (promoted_request.filter, dict(promoted_request.filter_values)) == (
        "in_category",
        {"CATEGORY": ("summer",)},
    )
    assert promoted_request.num_results == 2 and regular_request.filter is None
    assert [r.item_id for r in result if r.promotion_name == "summer-sale"] == ["0", "1"]
    assert len(result) == 10


def test_a_missing_recommender_is_not_ready(server, memory):
    backend = make_backend(server.url, recommenders={"also_viewed": CONFIG.recommender_arn("gone")})

    with Client(backend, sync_mode=True) as client, pytest.raises(NotReadyError) as info:
        client.recommend("also_viewed", item_id="1", user_id="u1")

    assert info.value.use_case == "also_viewed"
    assert CONFIG.recommender_arn("gone") in str(info.value)


def test_a_throttled_read_is_retried_by_the_read_policy(client, memory):
    memory.set_recommendations("also_viewed", ["9"])
    memory.fail_next(ThrottledError(), method="recommend")

    assert client.recommend("also_viewed", item_id="1", user_id="u1").item_ids == ["9"]
    assert client.stats["retries"] == 1


# -- GetPersonalizedRanking -----------------------------------------------
def test_rank_sends_the_input_list(client, memory):
    memory.set_recommendations("recommended_for_you", ["c", "a"])

    result = client.rank("u1", ["a", "b", "c"], filter="not_bought")

    assert result.item_ids == ["c", "a", "b"]
    assert result.recommendation_id
    request = memory.requests[-1]
    assert (request.user_id, request.item_ids, request.filter) == (
        "u1",
        ("a", "b", "c"),
        "not_bought",
    )


# -- what only a real server shows ----------------------------------------
@pytest.fixture(scope="module")
def secured():
    app, thread = serve(MemoryBackend(), CONFIG.replace(access_keys={KEY_ID: SECRET}))
    yield thread
    thread.stop()


def test_sigv4_signed_by_the_backend_passes(secured):
    backend = make_backend(secured.url)

    backend.put_events(views(1))

    assert len(secured.app.backend.events) == 1
    backend.close()


def test_a_wrong_secret_is_refused_and_not_retried(secured, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    backend = make_backend(secured.url)

    with pytest.raises(BackendError) as info:
        backend.put_events(views(1))

    assert (info.value.code, info.value.status_code, info.value.retryable) == (
        "InvalidSignatureException",
        403,
        False,
    )
    backend.close()


def test_the_clients_retry_policy_gets_everything_through_at_30_percent_faults():
    app, thread = serve(MemoryBackend(), CONFIG.replace(fault_rate=0.3, fault_seed=11))
    backend = make_backend(thread.url)
    policy = RetryPolicy(max_attempts=10, base_delay=0, max_delay=0)
    try:
        with Client(backend, sync_mode=True, retry=policy, read_retry=policy) as client:
            for n in range(10):
                client.record_many(views(3, session=f"s{n}"))
            results = [client.recommend("recommended_for_you", user_id="u1") for _ in range(5)]
            stats = client.stats
    finally:
        thread.stop()

    assert stats["delivered"] == 30 and stats["failed"] == 0
    assert len(results) == 5
    assert stats["retries"] > 0
    assert len({e.event_id for e in app.backend.events}) == len(app.backend.events) == 30


def test_the_local_engine_answers_through_the_aws_backend():
    pytest.importorskip("numpy")
    from personalize_sdk.backends.local import LocalBackend

    engine = LocalBackend(min_data_scale=0.01, auto_train=False, exploration_weight=0.0)
    app, thread = serve(engine)
    backend = make_backend(thread.url)
    try:
        with Client(backend, sync_mode=True) as client:
            client.put_items([Item(f"i{n}", properties={"categoryL1": "shoes"}) for n in range(8)])
            for user in range(20):
                client.record_many(
                    [
                        Event(
                            "View",
                            session_id=f"s{user}",
                            user_id=f"u{user}",
                            item_id=f"i{(user + k) % 8}",
                        )
                        for k in range(4)
                    ]
                )
            engine.train()
            result = client.recommend("recommended_for_you", user_id="u3", num_results=3)
            ranked = client.rank("u3", ["i0", "i4", "i5"])
    finally:
        thread.stop()
        app.close()

    assert 1 <= len(result) <= 3 and all(r.item_id.startswith("i") for r in result)
    assert result.recommendation_id and result.source == "model"
    assert sorted(ranked.item_ids) == ["i0", "i4", "i5"]
