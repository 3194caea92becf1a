"""Input the real services refuse is refused here, with the same error codes.

boto3 checks required members, types and minimums before sending, but not
maximums, patterns or the rules between members: those reach the server,
which must answer as Personalize does. A client with botocore's parameter
validation off shows the server checks the rest too.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from personalize_sdk.exceptions import (
    BackendError,
    ConfigurationError,
    InvalidRequestError,
    NotReadyError,
    ThrottledError,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
TRACKING_ID = "local-tracking-id"


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response = info.value.response
    return {
        "code": response["Error"]["Code"],
        "message": response["Error"]["Message"],
        "status": response["ResponseMetadata"]["HTTPStatusCode"],
    }


def view(**members) -> dict:
    return {"eventType": "View", "itemId": "1", "sentAt": T0, **members}


def put_events(served, events, **params):
    return served.events.put_events(
        trackingId=TRACKING_ID, sessionId="s1", userId="u1", eventList=events, **params
    )


# -- personalize-events ------------------------------------------------------
@pytest.mark.parametrize(
    "events, where",
    [
        ([view()] * 11, "eventList"),
        ([view(impression=[str(i) for i in range(26)])], "eventList.1.member.impression"),
        ([view(itemId="x" * 257)], "eventList.1.member.itemId"),
        ([view(), view(eventType="e" * 257)], "eventList.2.member.eventType"),
        ([view(recommendationId="R" * 41)], "eventList.1.member.recommendationId"),
        ([view(properties=json.dumps({"note": "n" * 1100}))], "eventList.1.member.properties"),
    ],
    ids=[
        "11-events",
        "26-impressions",
        "long-item-id",
        "long-event-type",
        "long-recommendation-id",
        "long-properties",
    ],
)
def test_events_over_the_model_limits_are_invalid_input(memory_server, memory, events, where):
    error = error_of(put_events, memory_server, events)

    assert (error["code"], error["status"]) == ("InvalidInputException", 400)
    assert f"Value at '{where}' failed to satisfy constraint" in error["message"]
    assert memory.events == []


@pytest.mark.parametrize(
    "properties, rule",
    [
        ('{"userId": "u2"}', "reserved"),
        ('{"EventType": "Purchase"}', "reserved"),
        ('["not", "an", "object"]', "mapping"),
        ("not json", "JSON"),
    ],
)
def test_event_properties_personalize_refuses_are_invalid_input(
    memory_server, memory, properties, rule
):
    error = error_of(put_events, memory_server, [view(properties=properties)])

    assert error["code"] == "InvalidInputException"
    assert "eventList.1.member" in error["message"] and rule in error["message"]
    assert memory.events == []


def test_all_violations_are_listed_in_one_message(memory_server, memory):
    error = error_of(put_events, memory_server, [view(itemId="x" * 257, recommendationId="R" * 41)])

    assert error["message"].startswith("2 validation errors detected: ")


def test_more_than_10_items_or_users_are_invalid_input(memory_server, memory):
    config = memory_server.config
    items = error_of(
        memory_server.events.put_items,
        datasetArn=config.items_dataset_arn,
        items=[{"itemId": str(i)} for i in range(11)],
    )
    users = error_of(
        memory_server.events.put_users,
        datasetArn=config.users_dataset_arn,
        users=[{"userId": "u", "properties": json.dumps({"bio": "b" * 24000})}],
    )

    assert items["code"] == users["code"] == "InvalidInputException"
    assert "'users.1.member.properties'" in users["message"]
    assert memory.items == {} and memory.users == {}


def test_a_malformed_dataset_arn_is_invalid_input(memory_server, memory):
    error = error_of(memory_server.events.put_items, datasetArn="items", items=[{"itemId": "1"}])

    assert error["code"] == "InvalidInputException"
    assert "regular expression pattern" in error["message"]


def test_without_client_side_validation_the_server_checks_required_members_and_minimums(
    memory_server, memory
):
    events = memory_server.client("personalize-events", parameter_validation=False)

    missing = error_of(
        events.put_events, sessionId="s", eventList=[{"eventType": "View", "sentAt": T0}]
    )
    empty = error_of(events.put_events, trackingId=TRACKING_ID, sessionId="", eventList=[])

    assert missing["code"] == "InvalidInputException"
    assert (
        "Value at 'trackingId' failed to satisfy constraint: Member must not be null"
        in missing["message"]
    )
    assert (
        "Value at 'sessionId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1" in (empty["message"])
    )
    assert "Value at 'eventList' failed to satisfy constraint" in empty["message"]
    assert memory.events == []


# -- personalize-runtime -----------------------------------------------------
def recommend(served, **params):
    params.setdefault("recommenderArn", served.config.recommender_arn("recommended_for_you"))
    params.setdefault("userId", "u1")
    return served.runtime.get_recommendations(**params)


@pytest.mark.parametrize(
    "params, where",
    [
        ({"numResults": 501}, "numResults"),
        ({"filterValues": {f"K{i}": '"v"' for i in range(26)}}, "filterValues"),
        ({"filterValues": {"CATEGORY": '"' + "v" * 1000 + '"'}}, "filterValues.CATEGORY"),
        ({"filterValues": {"BAD-NAME": '"v"'}}, "filterValues.key"),
        ({"context": {"DEVICE TYPE": "mobile"}}, "context.key"),
        ({"context": {"DEVICE": "m" * 1001}}, "context.DEVICE"),
        ({"userId": "u" * 257}, "userId"),
        ({"recommenderArn": "recommender/recommended_for_you"}, "recommenderArn"),
    ],
    ids=[
        "501-results",
        "26-placeholders",
        "long-value",
        "bad-placeholder",
        "bad-context-key",
        "long-context",
        "long-user",
        "not-an-arn",
    ],
)
def test_recommendation_requests_over_the_model_limits_are_invalid_input(
    memory_server, memory, params, where
):
    if "filterValues" in params:
        params["filterArn"] = memory_server.config.filter_arn("in_category")

    error = error_of(recommend, memory_server, **params)

    assert (error["code"], error["status"]) == ("InvalidInputException", 400)
    assert f"Value at '{where}' failed to satisfy constraint" in error["message"]
    assert memory.requests == []


def test_a_ranking_input_of_501_items_is_invalid_input(memory_server, memory):
    error = error_of(
        memory_server.runtime.get_personalized_ranking,
        campaignArn=memory_server.config.campaign_arn("personalized-ranking"),
        userId="u1",
        inputList=[str(i) for i in range(501)],
    )

    assert error["code"] == "InvalidInputException"
    assert "Value at 'inputList'" in error["message"]
    assert memory.requests == []


def test_exactly_one_of_recommender_and_campaign(memory_server, memory):
    config = memory_server.config
    both = error_of(
        recommend, memory_server, campaignArn=config.campaign_arn("recommended_for_you")
    )
    runtime = memory_server.runtime
    neither = error_of(runtime.get_recommendations, userId="u1")

    assert both["code"] == neither["code"] == "InvalidInputException"
    assert memory.requests == []


@pytest.mark.parametrize(
    "recommender, params, missing",
    [
        ("recommended_for_you", {}, "userId"),
        ("best_sellers", {}, "userId"),
        ("most_viewed", {}, "userId"),
        ("also_viewed", {"itemId": "1"}, "userId"),
        ("also_viewed", {"userId": "u1"}, "itemId"),
        ("bought_together", {"userId": "u1"}, "itemId"),
    ],
)
def test_recommenders_require_the_ids_personalize_requires(
    memory_server, memory, recommender, params, missing
):
    arn = memory_server.config.recommender_arn(recommender)

    error = error_of(memory_server.runtime.get_recommendations, recommenderArn=arn, **params)

    assert error["code"] == "InvalidInputException"
    assert error["message"] == f"{missing} is required by recommender {arn}."
    assert memory.requests == []


def test_popular_items_campaigns_need_no_user(memory_server, memory):
    arn = memory_server.config.campaign_arn("best_sellers")

    memory_server.runtime.get_recommendations(campaignArn=arn)

    assert memory.requests[0].use_case == "best_sellers"


def test_lenient_inputs_require_only_what_the_sdk_needs(memory):
    from .conftest import start

    served = start(memory, strict_inputs=False)
    try:
        served.runtime.get_recommendations(
            recommenderArn=served.config.recommender_arn("best_sellers")
        )
        served.runtime.get_recommendations(
            recommenderArn=served.config.recommender_arn("also_viewed"), itemId="1"
        )
        with pytest.raises(ClientError):
            served.runtime.get_recommendations(
                recommenderArn=served.config.recommender_arn("also_viewed")
            )
    finally:
        served.thread.stop()

    assert [r.use_case for r in memory.requests] == ["best_sellers", "also_viewed"]


@pytest.mark.parametrize(
    "operation, kind, name",
    [
        ("get_recommendations", "recommender", "nope"),
        ("get_recommendations", "campaign", "nope"),
        ("get_recommendations", "filter", "nope"),
        ("get_personalized_ranking", "campaign", "nope"),
        ("get_personalized_ranking", "filter", "nope"),
    ],
)
def test_unknown_arns_are_not_found(memory_server, memory, operation, kind, name):
    config = memory_server.config
    arn = config.arn(f"{kind}/{name}")
    if operation == "get_recommendations":
        params = {"userId": "u1", "recommenderArn": config.recommender_arn("recommended_for_you")}
        if kind == "campaign":
            params = {"userId": "u1", "campaignArn": arn}
    else:
        params = {
            "userId": "u1",
            "inputList": ["1"],
            "campaignArn": config.campaign_arn("personalized-ranking"),
        }
        if kind == "campaign":
            params["campaignArn"] = arn
    if kind == "recommender":
        params["recommenderArn"] = arn
    if kind == "filter":
        params["filterArn"] = arn
    runtime = memory_server.runtime

    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as info:
        getattr(runtime, operation)(**params)

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert info.value.response["Error"]["Message"] == f"Resource {arn} does not exist."
    assert memory.requests == []


def test_an_arn_of_another_account_or_region_is_not_found(memory_server, memory):
    arn = "arn:aws:personalize:eu-west-1:123456789012:recommender/recommended_for_you"

    error = error_of(recommend, memory_server, recommenderArn=arn)

    assert error["code"] == "ResourceNotFoundException"


def test_campaigns_serve_only_their_own_operation(memory_server, memory):
    config = memory_server.config
    runtime = memory_server.runtime
    ranking_for_recommendations = error_of(
        runtime.get_recommendations,
        campaignArn=config.campaign_arn("personalized-ranking"),
        userId="u1",
    )
    recommendations_for_ranking = error_of(
        runtime.get_personalized_ranking,
        campaignArn=config.campaign_arn("recommended_for_you"),
        userId="u1",
        inputList=["1"],
    )

    assert (
        ranking_for_recommendations["code"]
        == recommendations_for_ranking["code"]
        == "InvalidInputException"
    )
    assert "GetPersonalizedRanking" in ranking_for_recommendations["message"]
    assert "GetRecommendations" in recommendations_for_ranking["message"]


def test_filter_values_must_be_in_personalize_wire_form(memory_server, memory):
    error = error_of(
        recommend,
        memory_server,
        filterArn=memory_server.config.filter_arn("in_category"),
        filterValues={"CATEGORY": "shoes"},  # unquoted: Personalize wants "\"shoes\""
    )

    assert error["code"] == "InvalidInputException"
    assert "CATEGORY" in error["message"]


def test_filter_values_without_a_filter_are_invalid_input(memory_server, memory):
    error = error_of(recommend, memory_server, filterValues={"CATEGORY": '"shoes"'})

    assert error["code"] == "InvalidInputException"


def test_metadata_columns_are_refused_as_for_a_recommender_without_metadata(memory_server, memory):
    error = error_of(recommend, memory_server, metadataColumns={"ITEMS": ["CATEGORY_L1"]})

    assert error["code"] == "InvalidInputException"
    assert "metadata" in error["message"]


def test_a_promotion_needs_a_name_a_share_and_a_filter(memory_server, memory):
    error = error_of(
        recommend, memory_server, promotions=[{"name": "sale", "percentPromotedItems": 20}]
    )
    two = error_of(
        recommend,
        memory_server,
        promotions=[
            {"name": "a", "percentPromotedItems": 20},
            {"name": "b", "percentPromotedItems": 20},
        ],
    )

    assert error["code"] == "InvalidInputException" and "filterArn" in error["message"]
    assert two["code"] == "InvalidInputException" and "Value at 'promotions'" in two["message"]


# -- below the shapes: raw HTTP ----------------------------------------------
def raw(url: str, path: str, body: bytes, method: str = "POST") -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url + path, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"{}")


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"{not json", "not valid JSON"),
        (b'{"trackingId": 5, "sessionId": "s", "eventList": []}', "'trackingId' must be a string"),
        (
            b'{"trackingId": "t", "sessionId": "s", "eventList": {"a": 1}}',
            "'eventList' must be a list",
        ),
        (
            b'{"trackingId": "t", "sessionId": "s", '
            b'"eventList": [{"eventType": "View", "sentAt": "today"}]}',
            "'eventList.1.member.sentAt' must be a timestamp",
        ),
    ],
)
def test_bodies_that_are_not_the_operations_input_are_serialization_errors(
    memory_server, memory, body, fragment
):
    status, headers, payload = raw(memory_server.url, "/events", body)

    assert status == 400
    assert headers["x-amzn-ErrorType"] == "SerializationException"
    assert fragment in payload["message"]
    assert memory.events == []


@pytest.mark.parametrize(
    "method, path, fragment",
    [
        ("POST", "/nothing", "No operation"),
        ("GET", "/events", "No operation"),
        ("GET", "/actions", "No operation"),
    ],
)
def test_unknown_operations_are_answered_as_aws_does(memory_server, method, path, fragment):
    status, headers, payload = raw(
        memory_server.url, path, b"{}" if method == "POST" else None, method
    )

    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert fragment in payload["message"]


@pytest.mark.parametrize(
    "service, operation, params",
    [
        ("personalize-runtime", "get_action_recommendations", {"campaignArn": "arn:aws:personalize:local:000000000000:campaign/x", "userId": "u1"}),
        ("personalize-events", "put_actions", {"datasetArn": "arn:aws:personalize:local:000000000000:dataset/local/ACTIONS", "actions": [{"actionId": "a1"}]}),
        ("personalize-events", "put_action_interactions", {"trackingId": TRACKING_ID, "actionInteractions": [
            {"actionId": "a1", "sessionId": "s1", "eventType": "Taken", "timestamp": T0}]}),
    ],
)
def test_the_action_operations_answer_a_modeled_error_not_a_404(memory_server, memory, service, operation, params):
    client = memory_server.client(service)

    with pytest.raises(client.exceptions.InvalidInputException) as info:
        getattr(client, operation)(**params)

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "not available in the local Personalize" in info.value.response["Error"]["Message"]
    assert memory.events == []


# -- failures of the backend behind the API ----------------------------------
@pytest.mark.parametrize(
    "failure, code, status, message",
    [
        (ValueError("numpy says no"), "InternalFailure", 500, "An internal error occurred."),
        (ConfigurationError("no filter 'x'"), "InternalFailure", 500, "misconfigured"),
        (
            NotReadyError("best_sellers is not trained yet"),
            "ResourceNotFoundException",
            404,
            "trained",
        ),
        (BackendError("database is locked", retryable=True), "ServiceUnavailable", 503, "locked"),
        (BackendError("nope"), "InternalFailure", 500, "nope"),
        (BackendError("slow down", code="Custom", status_code=529), "Custom", 529, "slow down"),
        (ThrottledError(), "ThrottlingException", 400, "throttled"),
        (
            InvalidRequestError("filter_values", "bad"),
            "InvalidInputException",
            400,
            "filter_values",
        ),
    ],
)
def test_backend_failures_answer_as_aws_errors(
    memory_server, memory, failure, code, status, message
):
    memory.fail_next(failure, method="recommend")

    error = error_of(
        memory_server.runtime.get_recommendations,
        campaignArn=memory_server.config.campaign_arn("best_sellers"),
    )

    assert (error["code"], error["status"]) == (code, status)
    assert message in error["message"]


# -- the control plane (awsJson1_1) --------------------------------------------
@pytest.mark.parametrize(
    "code, rest_status, json_status",
    [
        ("ResourceNotFoundException", 404, 400),
        ("InvalidInputException", 400, 400),
        ("UnrecognizedClientException", 403, 403),
        ("ServiceUnavailable", 503, 503),
    ],
)
def test_aws_json_errors_carry_the_code_in_type(code, rest_status, json_status):
    from personalize_sdk.server import errors

    error = getattr(errors, code)("what happened")
    assert (error.status, error.json_status) == (rest_status, json_status)
    assert json.loads(error.json_body()) == {"__type": code, "message": "what happened"}
    assert json.loads(error.body()) == {"message": "what happened"}


def test_the_control_plane_is_served_on_the_same_port(memory_server):
    client = memory_server.client("personalize")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_dataset_group(
            datasetGroupArn="arn:aws:personalize:local:000000000000:dataset-group/none"
        )
