"""The AWS backend, driven through the Client against real boto3 clients whose
HTTP layer is replaced by botocore's Stubber.

The Stubber checks the parameters it is told to expect and the API model's
minimums, but not its maximums (list sizes, string lengths): the tests marked
"before any call" prove our own validation stops those, by queuing no response
at all (any call would fail with an UnStubbedResponseError).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

from personalize_sdk import (  # noqa: E402
    BackendError,
    Client,
    ConfigurationError,
    Event,
    InvalidRecordError,
    InvalidRequestError,
    Item,
    NotReadyError,
    RetryPolicy,
    ThrottledError,
    User,
)
from personalize_sdk.backends.aws import AwsBackend  # noqa: E402
from tests.conftest import isolate_from_real_aws  # noqa: E402

REGION = "us-east-1"
ARN = f"arn:aws:personalize:{REGION}:123456789012"
TRACKING_ID = "11111111-2222-3333-4444-555555555555"
ALSO_VIEWED_ARN = f"{ARN}:recommender/also-viewed"
FOR_YOU_CAMPAIGN_ARN = f"{ARN}:campaign/for-you"
RANKING_ARN = f"{ARN}:campaign/ranking"
NOT_BOUGHT_ARN = f"{ARN}:filter/not-bought"
IN_CATEGORY_ARN = f"{ARN}:filter/in-category"
ITEMS_ARN = f"{ARN}:dataset/shop/ITEMS"
USERS_ARN = f"{ARN}:dataset/shop/USERS"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
NO_WAIT = RetryPolicy(max_attempts=4, base_delay=0, max_delay=0)


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch, tmp_path):
    """Nothing in these tests may read real credentials or reach AWS."""
    isolate_from_real_aws(monkeypatch, tmp_path, key_id="testing", secret="testing")


def _client(service: str):
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )


@pytest.fixture
def events_stub():
    client = _client("personalize-events")
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def runtime_stub():
    client = _client("personalize-runtime")
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def make_backend(events_stub, runtime_stub, **options) -> AwsBackend:
    defaults = dict(
        events_client=events_stub.client,
        runtime_client=runtime_stub.client,
        tracking_id=TRACKING_ID,
        items_dataset_arn=ITEMS_ARN,
        users_dataset_arn=USERS_ARN,
        recommenders={"also_viewed": ALSO_VIEWED_ARN},
        campaigns={"recommended_for_you": FOR_YOU_CAMPAIGN_ARN},
        ranking_campaign=RANKING_ARN,
        filters={"not_bought": NOT_BOUGHT_ARN, "in_category": IN_CATEGORY_ARN},
    )
    defaults.update(options)
    return AwsBackend(**defaults)


@pytest.fixture
def backend(events_stub, runtime_stub) -> AwsBackend:
    return make_backend(events_stub, runtime_stub)


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


def put_events_params(events: list[Event]) -> dict:
    params = {
        "trackingId": TRACKING_ID,
        "sessionId": events[0].session_id,
        "eventList": [e.to_personalize() for e in events],
    }
    if events[0].user_id:
        params["userId"] = events[0].user_id
    return params


# -- PutEvents ------------------------------------------------------------
def test_23_events_of_one_session_go_as_10_10_and_3(client, events_stub):
    events = views(23)
    for part in (events[:10], events[10:20], events[20:]):
        events_stub.add_response("put_events", {}, put_events_params(part))

    client.record_many(events)

    assert client.stats["delivered"] == 23


def test_two_sessions_never_share_a_call(client, events_stub):
    first, second = views(3, session="s1", user="u1"), views(2, session="s2", user=None)
    interleaved = [first[0], second[0], first[1], second[1], first[2]]
    events_stub.add_response("put_events", {}, put_events_params(first))
    events_stub.add_response("put_events", {}, put_events_params(second))

    client.record_many(interleaved)

    assert client.stats["delivered"] == 5


def test_an_anonymous_session_sends_no_user_id(backend, events_stub):
    events = views(2, user=None)
    expected = put_events_params(events)
    assert "userId" not in expected
    events_stub.add_response("put_events", {}, expected)

    backend.put_events(events)


def test_event_members_reach_put_events(backend, events_stub):
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
    expected_event = {
        "eventId": "e-1",
        "eventType": "Click",
        "sentAt": T0,
        "itemId": "42",
        "eventValue": 19.5,
        "properties": '{"device":"mobile"}',
        "impression": ["41", "42", "43"],
        "recommendationId": "RID-1",
    }
    events_stub.add_response(
        "put_events",
        {},
        {
            "trackingId": TRACKING_ID,
            "sessionId": "s1",
            "userId": "u1",
            "eventList": [expected_event],
        },
    )

    backend.put_events([event])


def test_throttling_then_success_delivers_everything_exactly_once(client, events_stub):
    events = views(12)
    events_stub.add_response("put_events", {}, put_events_params(events[:10]))
    events_stub.add_client_error(
        "put_events",
        "ThrottlingException",
        "Rate exceeded",
        400,
        expected_params=put_events_params(events[10:]),
    )
    events_stub.add_response("put_events", {}, put_events_params(events[10:]))

    client.record_many(events)

    assert client.stats == {"delivered": 12, "failed": 0, "dropped": 0, "retries": 1}


def test_a_throttled_batch_is_retried_exactly_per_the_retry_policy(backend, events_stub):
    events = views(3)
    for _ in range(3):
        events_stub.add_client_error(
            "put_events",
            "ThrottlingException",
            "Rate exceeded",
            400,
            expected_params=put_events_params(events),
        )
    client = Client(
        backend, sync_mode=True, retry=RetryPolicy(max_attempts=3, base_delay=0, max_delay=0)
    )

    with pytest.raises(ThrottledError) as info:
        client.record_many(events)

    assert info.value.retryable and info.value.code == "ThrottlingException"
    assert client.stats["retries"] == 2
    assert client.stats["failed"] == 3
    # the fixture asserts all three queued responses were used: three attempts, not fewer
    client.close()


def test_invalid_input_is_not_retried_and_carries_the_service_message(client, events_stub):
    events = views(1)
    events_stub.add_client_error(
        "put_events",
        "InvalidInputException",
        "itemId is not in the Items dataset",
        400,
        expected_params=put_events_params(events),
    )

    with pytest.raises(BackendError) as info:
        client.record_many(events)

    error = info.value
    assert not isinstance(error, ThrottledError)
    assert error.retryable is False
    assert error.code == "InvalidInputException"
    assert error.status_code == 400
    assert error.backend == "aws"
    assert "itemId is not in the Items dataset" in error.message
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
def test_client_errors_map_by_code_and_status(backend, events_stub, code, status, retryable, kind):
    events = views(1)
    events_stub.add_client_error("put_events", code, "nope", status)

    with pytest.raises(kind) as info:
        backend.put_events(events)

    assert info.value.retryable is retryable
    assert info.value.code == code
    assert info.value.status_code == status


def test_connection_errors_are_retryable(backend, events_stub, monkeypatch):
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    for error in (
        EndpointConnectionError(endpoint_url="https://personalize-events.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://personalize-events.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://personalize-events.us-east-1.amazonaws.com"),
    ):

        def fail(**params):
            raise error

        monkeypatch.setattr(backend.events_client, "put_events", fail)
        with pytest.raises(BackendError) as info:
            backend.put_events(views(1))
        assert info.value.retryable is True
        assert info.value.code == type(error).__name__


def test_missing_tracking_id_is_a_configuration_error(events_stub, runtime_stub):
    backend = make_backend(events_stub, runtime_stub, tracking_id=None)

    with pytest.raises(ConfigurationError, match="tracking_id"):
        backend.put_events(views(1))


# -- PutItems / PutUsers --------------------------------------------------
def test_put_items_and_users_carry_the_dataset_arns(client, events_stub):
    items = [Item(str(i), properties={"price": i, "categoryL1": "shoes"}) for i in range(12)]
    events_stub.add_response(
        "put_items",
        {},
        {"datasetArn": ITEMS_ARN, "items": [i.to_personalize() for i in items[:10]]},
    )
    events_stub.add_response(
        "put_items",
        {},
        {"datasetArn": ITEMS_ARN, "items": [i.to_personalize() for i in items[10:]]},
    )
    users = [User("u1", properties={"membership": "gold"})]
    events_stub.add_response(
        "put_users",
        {},
        {
            "datasetArn": USERS_ARN,
            "users": [{"userId": "u1", "properties": '{"membership":"gold"}'}],
        },
    )

    client.put_items(items)
    client.put_users(users)

    assert client.stats["delivered"] == 13


def test_put_items_without_a_dataset_arn_is_a_configuration_error(events_stub, runtime_stub):
    backend = make_backend(
        events_stub, runtime_stub, items_dataset_arn=None, users_dataset_arn=None
    )

    with pytest.raises(ConfigurationError, match="items_dataset_arn"):
        backend.put_items([Item("1")])
    with pytest.raises(ConfigurationError, match="users_dataset_arn"):
        backend.put_users([User("1")])


# -- GetRecommendations ---------------------------------------------------
def test_recommend_sends_recommender_filter_and_encoded_values(client, runtime_stub):
    runtime_stub.add_response(
        "get_recommendations",
        {
            "itemList": [
                {"itemId": "7"},
                {"itemId": "3", "promotionName": "summer", "reason": ["Promoted item"]},
            ],
            "recommendationId": "RID-abc",
        },
        {
            "recommenderArn": ALSO_VIEWED_ARN,
            "userId": "u1",
            "itemId": "42",
            "numResults": 5,
            "filterArn": IN_CATEGORY_ARN,
            "filterValues": {"CATEGORY": '"shoes","socks"', "BRAND": '"acme"'},
        },
    )

    result = client.recommend(
        "also_viewed",
        user_id="u1",
        item_id="42",
        num_results=5,
        filter="in_category",
        filter_values={"CATEGORY": ["shoes", "socks"], "BRAND": "acme"},
    )

    assert result.item_ids == ["7", "3"]
    assert result.recommendation_id == "RID-abc"
    assert result.use_case == "also_viewed"
    assert result.source == "model"
    assert result[0].score is None
    assert result[1].promotion_name == "summer"
    assert result[1].reason == ("Promoted item",)


def test_recommend_uses_the_campaign_with_user_scores_and_context(client, runtime_stub):
    runtime_stub.add_response(
        "get_recommendations",
        {
            "itemList": [{"itemId": "1", "score": 0.6}, {"itemId": "2", "score": 0.4}],
            "recommendationId": "RID-2",
        },
        {
            "campaignArn": FOR_YOU_CAMPAIGN_ARN,
            "userId": "u1",
            "numResults": 10,
            "context": {"DEVICE": "mobile"},
        },
    )

    result = client.recommend("recommended_for_you", user_id="u1", context={"DEVICE": "mobile"})

    assert [(r.item_id, r.score) for r in result] == [("1", 0.6), ("2", 0.4)]


def test_recommend_sends_the_configured_promotion(events_stub, runtime_stub):
    backend = make_backend(
        events_stub,
        runtime_stub,
        promotion={
            "name": "summer-sale",
            "percent_promoted_items": 20,
            "filter": "in_category",
            "filter_values": {"CATEGORY": "summer"},
        },
    )
    runtime_stub.add_response(
        "get_recommendations",
        {"itemList": []},
        {
            "recommenderArn": ALSO_VIEWED_ARN,
            "userId": "u1",
            "itemId": "42",
            "numResults": 10,
            "promotions": [
                {
                    "name": "summer-sale",
                    "percentPromotedItems": 20,
                    "filterArn": IN_CATEGORY_ARN,
                    "filterValues": {"CATEGORY": '"summer"'},
                }
            ],
        },
    )

    with Client(backend, sync_mode=True) as client:
        assert client.recommend("also_viewed", user_id="u1", item_id="42").item_ids == []


def test_an_unmapped_use_case_is_a_configuration_error(client):
    with pytest.raises(ConfigurationError, match="'best_sellers'.*'recommenders'"):
        client.recommend("best_sellers")


def test_an_unknown_filter_is_a_configuration_error(client):
    with pytest.raises(ConfigurationError, match="'cheap'.*'filters'"):
        client.recommend("also_viewed", user_id="u1", item_id="1", filter="cheap")


def test_client_filters_without_arns_are_refused_at_construction(backend):
    with pytest.raises(ConfigurationError, match="no ARN for filter.*'cheap'"):
        Client(
            backend,
            sync_mode=True,
            filters={
                "not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
                "cheap": "INCLUDE ItemID WHERE Items.PRICE < 10",
            },
        )


def test_client_filters_with_arns_are_accepted(backend):
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'
    with Client(backend, sync_mode=True, filters={"not_bought": expression}) as client:
        assert set(client.filters) == {"not_bought"}


def test_a_missing_recommender_is_not_ready(client, runtime_stub):
    runtime_stub.add_client_error(
        "get_recommendations", "ResourceNotFoundException", "Recommender not found", 404
    )

    with pytest.raises(NotReadyError) as info:
        client.recommend("also_viewed", user_id="u1", item_id="1")

    assert info.value.use_case == "also_viewed"
    assert "Recommender not found" in str(info.value)


def test_a_throttled_read_is_retried_by_the_read_policy(client, runtime_stub):
    runtime_stub.add_client_error(
        "get_recommendations", "ThrottlingException", "Rate exceeded", 400
    )
    runtime_stub.add_response("get_recommendations", {"itemList": [{"itemId": "9"}]})

    assert client.recommend("also_viewed", user_id="u1", item_id="1").item_ids == ["9"]
    assert client.stats["retries"] == 1


# -- GetPersonalizedRanking -----------------------------------------------
def test_rank_sends_the_input_list(client, runtime_stub):
    runtime_stub.add_response(
        "get_personalized_ranking",
        {
            "personalizedRanking": [
                {"itemId": "c", "score": 0.7},
                {"itemId": "a", "score": 0.3},
                {"itemId": "b"},
            ],
            "recommendationId": "RID-r",
        },
        {
            "campaignArn": RANKING_ARN,
            "userId": "u1",
            "inputList": ["a", "b", "c"],
            "filterArn": NOT_BOUGHT_ARN,
        },
    )

    result = client.rank("u1", ["a", "b", "c"], filter="not_bought")

    assert result.item_ids == ["c", "a", "b"]
    assert result[2].score is None
    assert result.recommendation_id == "RID-r"


def test_rank_without_a_ranking_campaign_is_a_configuration_error(events_stub, runtime_stub):
    backend = make_backend(events_stub, runtime_stub, ranking_campaign=None)

    with (
        Client(backend, sync_mode=True) as client,
        pytest.raises(ConfigurationError, match="ranking_campaign"),
    ):
        client.rank("u1", ["a"])


# -- maxima the Stubber does not check: refused before any call ------------
# No response is queued in these tests: a call would raise UnStubbedResponseError,
# and the stub fixtures assert nothing was left pending.
def test_more_than_10_events_in_one_call_is_refused(backend):
    with pytest.raises(InvalidRequestError, match="at most 10"):
        backend.put_events(views(11))


def test_events_of_two_sessions_in_one_call_are_refused(backend):
    with pytest.raises(InvalidRequestError, match="one \\(user, session\\)"):
        backend.put_events(views(1, session="a") + views(1, session="b"))


def test_more_than_10_items_in_one_call_is_refused(backend):
    with pytest.raises(InvalidRequestError, match="at most 10"):
        backend.put_items([Item(str(i)) for i in range(11)])


def test_an_id_over_256_characters_is_refused(client):
    with pytest.raises(InvalidRecordError, match="item_id"):
        Event("View", session_id="s1", item_id="x" * 257)
    with pytest.raises(InvalidRequestError, match="user_id"):
        client.recommend("recommended_for_you", user_id="u" * 257)


def test_26_impressions_are_refused():
    with pytest.raises(InvalidRecordError, match="impression"):
        Event("View", session_id="s1", item_id="1", impression=[str(i) for i in range(26)])


def test_501_results_are_refused(client):
    with pytest.raises(InvalidRequestError, match="num_results"):
        client.recommend("also_viewed", user_id="u1", item_id="1", num_results=501)


def test_a_ranking_input_of_501_items_is_refused(client):
    with pytest.raises(InvalidRequestError, match="item_ids"):
        client.rank("u1", [str(i) for i in range(501)])


def test_a_filter_value_over_1000_characters_is_refused(client):
    with pytest.raises(InvalidRequestError, match="1000"):
        client.recommend(
            "also_viewed", item_id="1", filter="in_category", filter_values={"CATEGORY": "c" * 999}
        )


def test_a_request_tampered_after_validation_is_refused(backend):
    from personalize_sdk.use_cases import RankingRequest, RecommendationRequest

    request = RecommendationRequest("also_viewed", user_id="u1", item_id="1")
    object.__setattr__(request, "num_results", 501)
    with pytest.raises(InvalidRequestError, match="num_results"):
        backend.recommend(request)
    ranking = RankingRequest("u1", ("a",))
    object.__setattr__(ranking, "item_ids", tuple(str(i) for i in range(501)))
    with pytest.raises(InvalidRequestError, match="item_ids"):
        backend.rank(ranking)


# -- configuration --------------------------------------------------------
def test_an_unknown_option_names_the_option_and_the_backend(events_stub, runtime_stub):
    with pytest.raises(ConfigurationError, match="aws.*tracking_idd"):
        make_backend(events_stub, runtime_stub, tracking_idd="x")


def test_an_unknown_option_through_load_backend():
    from personalize_sdk.backends import load_backend

    with pytest.raises(ConfigurationError, match="aws.*regoin"):
        load_backend("aws", {"regoin": REGION})


def test_a_use_case_mapped_twice_is_refused(events_stub, runtime_stub):
    with pytest.raises(ConfigurationError, match="both"):
        make_backend(events_stub, runtime_stub, campaigns={"also_viewed": FOR_YOU_CAMPAIGN_ARN})


@pytest.mark.parametrize(
    "options, match",
    [
        ({"recommenders": {"also_veiwed": ALSO_VIEWED_ARN}}, "unknown use case 'also_veiwed'"),
        ({"ranking_campaign": "campaign/ranking"}, "ranking_campaign"),
        ({"filters": {"x": "not-an-arn"}}, "filters\\['x'\\]"),
        ({"promotion": {"name": "p", "percent": 10}}, "percent"),
        ({"promotion": {"percent_promoted_items": 101}}, "percent_promoted_items"),
        ({"promotion": {"filter": "nope"}}, "'nope'"),
    ],
)
def test_bad_options_are_configuration_errors(events_stub, runtime_stub, options, match):
    with pytest.raises(ConfigurationError, match=match):
        make_backend(events_stub, runtime_stub, **options)


def test_built_clients_have_botocore_retries_off_and_use_the_options():
    backend = AwsBackend(
        region_name="eu-west-1",
        endpoint_url="http://personalize.localhost:8001",
        config={"read_timeout": 2},
        tracking_id=TRACKING_ID,
    )
    try:
        for client in (backend.events_client, backend.runtime_client):
            assert client.meta.config.retries["total_max_attempts"] == 1
            assert client.meta.config.read_timeout == 2
            assert client.meta.config.connect_timeout == 3.05
            assert client.meta.region_name == "eu-west-1"
            assert client.meta.endpoint_url == "http://personalize.localhost:8001"
            assert client.meta.config.user_agent_extra.startswith("personalize-sdk/")
        assert backend.events_client.meta.service_model.service_name == "personalize-events"
        assert backend.runtime_client.meta.service_model.service_name == "personalize-runtime"
    finally:
        backend.close()


def test_no_region_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="region"):
        AwsBackend(tracking_id=TRACKING_ID)


@pytest.mark.parametrize(
    "options, option",
    [
        ({"endpoint_url": "not a url"}, "'endpoint_url'"),
        ({"config": {"connect_timeout": "soon"}}, "'config'"),
    ],
)
def test_a_bad_endpoint_or_config_value_names_its_own_option(options, option):
    with pytest.raises(ConfigurationError, match=f"The aws backend's {option} option: "):
        AwsBackend(region_name=REGION, tracking_id=TRACKING_ID, **options)


def test_an_unknown_profile_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="profile_name"):
        AwsBackend(region_name=REGION, profile_name="no-such-profile")


def test_missing_boto3_raises_improperly_installed():
    # A subprocess, so hiding boto3 cannot leak into other tests' imports.
    script = textwrap.dedent("""
        import sys
        sys.modules["boto3"] = None
        import personalize_sdk
        from personalize_sdk.backends import load_backend
        from personalize_sdk.exceptions import ImproperlyInstalled
        try:
            load_backend("aws", {"region_name": "us-east-1"})
        except ImproperlyInstalled as err:
            print(err.missing_package, err.install_extra)
            print(err)
        """)
    repo_root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "boto3 aws"
    assert 'pip install "personalize-django[aws]"' in lines[1]


def test_recommenders_that_need_a_user_refuse_a_request_without_one(client, runtime_stub):
    # Personalize's "customers who viewed X" recommender needs userId and itemId (reference 3.3);
    # no call is made, so the stubber has nothing queued.
    with pytest.raises(InvalidRequestError) as info:
        client.recommend("also_viewed", item_id="42")
    assert info.value.field == "user_id"
    assert "session id for a guest" in info.value.rule
    runtime_stub.assert_no_pending_responses()


# -- credentials kept out of sight (issue 21, point 7) -----------------------

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_explicit_keys_reach_boto3_and_stay_secret_everywhere_else():
    backend = AwsBackend(
        region_name=REGION, aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key=AWS_SECRET
    )
    credentials = backend.events_client._request_signer._credentials
    assert credentials.access_key == "AKIAIOSFODNN7EXAMPLE" and credentials.secret_key == AWS_SECRET
    assert AWS_SECRET not in repr(vars(backend))
    backend.close()


def test_an_access_key_id_needs_its_secret():
    with pytest.raises(ConfigurationError, match="go together") as info:
        AwsBackend(region_name=REGION, aws_access_key_id="AKIAIOSFODNN7EXAMPLE")
    assert "AKIAIOSFODNN7EXAMPLE" not in str(info.value)


def test_keys_and_a_profile_exclude_each_other():
    with pytest.raises(ConfigurationError, match="exclude each other"):
        AwsBackend(
            region_name=REGION, profile_name="p",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key=AWS_SECRET,
        )


def test_an_empty_key_is_refused_without_showing_the_other():
    with pytest.raises(ConfigurationError, match="'aws_secret_access_key' option must be a non-empty") as info:
        AwsBackend(region_name=REGION, aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="")
    assert "AKIA" not in str(info.value)
