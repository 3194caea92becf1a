"""personalize-events through real boto3 clients: PutEvents, PutItems, PutUsers."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
TRACKING_ID = "local-tracking-id"


def test_put_events_lands_every_member_in_the_backend(memory_server, memory):
    memory_server.events.put_events(
        trackingId=TRACKING_ID,
        userId="u1",
        sessionId="s1",
        eventList=[
            {
                "eventId": "e-1",
                "eventType": "Click",
                "itemId": "42",
                "sentAt": T0,
                "eventValue": 19.5,
                "properties": json.dumps({"device": "mobile"}),
                "impression": ["41", "42", "43"],
                "recommendationId": "RID-1",
            },
            {"eventType": "View", "itemId": "43", "sentAt": T0},
        ],
    )

    (call,) = memory.event_calls
    first, second = call
    assert (first.event_id, first.event_type, first.item_id, first.user_id, first.session_id) == (
        "e-1",
        "Click",
        "42",
        "u1",
        "s1",
    )
    assert first.sent_at == T0
    assert first.event_value == 19.5
    assert first.properties == {"device": "mobile"}
    assert first.impression == ("41", "42", "43")
    assert first.recommendation_id == "RID-1"
    assert (second.event_type, second.item_id, second.user_id) == ("View", "43", "u1")
    assert second.event_id  # generated when the caller sends none, as Personalize does


def test_an_anonymous_session_arrives_without_a_user(memory_server, memory):
    memory_server.events.put_events(
        trackingId=TRACKING_ID,
        sessionId="guest",
        eventList=[{"eventType": "View", "itemId": "1", "sentAt": T0}],
    )

    assert [(e.user_id, e.session_id) for e in memory.events] == [(None, "guest")]


def test_a_put_events_answer_is_an_empty_200(memory_server, memory):
    response = memory_server.events.put_events(
        trackingId=TRACKING_ID,
        sessionId="s",
        eventList=[{"eventType": "View", "itemId": "1", "sentAt": T0}],
    )

    metadata = response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["HTTPHeaders"]["content-length"] == "0"
    assert metadata["RequestId"]  # x-amzn-RequestId, as AWS sends it


def test_put_items_and_users_replace_records_by_id(memory_server, memory):
    config = memory_server.config
    memory_server.events.put_items(
        datasetArn=config.items_dataset_arn,
        items=[
            {"itemId": "1", "properties": json.dumps({"categoryL1": "shoes", "price": 10})},
            {"itemId": "2"},
        ],
    )
    memory_server.events.put_items(
        datasetArn=config.items_dataset_arn,
        items=[{"itemId": "1", "properties": '{"categoryL1": "socks"}'}],
    )
    memory_server.events.put_users(
        datasetArn=config.users_dataset_arn,
        users=[{"userId": "u1", "properties": '{"membership": "gold"}'}],
    )

    assert memory.items["1"].properties == {"categoryL1": "socks"}
    assert memory.items["2"].properties is None
    assert memory.users["u1"].properties == {"membership": "gold"}


def test_the_items_dataset_does_not_take_users(memory_server, memory):
    with pytest.raises(ClientError) as info:
        memory_server.events.put_users(
            datasetArn=memory_server.config.items_dataset_arn, users=[{"userId": "u1"}]
        )

    assert info.value.response["Error"]["Code"] == "InvalidInputException"
    assert memory.users == {}


def test_an_unknown_dataset_is_not_found(memory_server, memory):
    arn = "arn:aws:personalize:local:000000000000:dataset/other/ITEMS"

    with pytest.raises(memory_server.events.exceptions.ResourceNotFoundException) as info:
        memory_server.events.put_items(datasetArn=arn, items=[{"itemId": "1"}])

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert arn in info.value.response["Error"]["Message"]
    assert memory.items == {}


def test_an_unknown_tracking_id_is_not_found(memory_server, memory):
    with pytest.raises(ClientError) as info:
        memory_server.events.put_events(
            trackingId="someone-else",
            sessionId="s",
            eventList=[{"eventType": "View", "itemId": "1", "sentAt": T0}],
        )

    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert memory.events == []


def test_a_configured_tracking_id_is_accepted(memory):
    from .conftest import start

    served = start(memory, tracking_ids=["tracker-a", "tracker-b"])
    try:
        served.events.put_events(
            trackingId="tracker-b",
            sessionId="s",
            eventList=[{"eventType": "View", "itemId": "1", "sentAt": T0}],
        )
        with pytest.raises(ClientError):
            served.events.put_events(
                trackingId=TRACKING_ID,
                sessionId="s",
                eventList=[{"eventType": "View", "itemId": "1", "sentAt": T0}],
            )
    finally:
        served.thread.stop()

    assert len(memory.events) == 1
