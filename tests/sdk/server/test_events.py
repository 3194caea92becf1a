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


# -- properties keys that are interaction columns (PutEvents' Event.properties) --
def put(events_client, *events: dict, user: str | None = None, session: str = "s") -> None:
    """One PutEvents call with the default tracking id."""
    who = {"userId": user} if user else {}
    events_client.put_events(trackingId=TRACKING_ID, sessionId=session, eventList=list(events), **who)


def test_an_item_id_and_event_value_in_properties_are_the_events_own(memory_server, memory):
    # As AWS's "Recording item interaction events" example and Segment's destination send them.
    properties = json.dumps({"itemId": "choc-panama", "eventValue": 4, "numRatings": "12"})
    put(memory_server.events, {"eventId": "event1", "sentAt": T0, "eventType": "like", "properties": properties},
        user="user555", session="session1")

    (stored,) = memory.events
    assert (stored.item_id, stored.event_value) == ("choc-panama", 4.0)
    assert stored.properties == {"numRatings": "12"}  # other keys stay metadata columns


def test_an_item_id_given_twice_alike_is_accepted(memory_server, memory):
    put(memory_server.events, {"eventType": "View", "itemId": "7", "sentAt": T0, "properties": '{"itemId": "7"}'})

    assert [e.item_id for e in memory.events] == ["7"]


def test_two_different_item_ids_are_an_invalid_input_naming_both(memory_server, memory):
    with pytest.raises(memory_server.events.exceptions.InvalidInputException) as info:
        put(memory_server.events,
            {"eventType": "View", "itemId": "1", "sentAt": T0},
            {"eventType": "View", "itemId": "7", "sentAt": T0, "properties": '{"itemId": "8"}'})

    message = info.value.response["Error"]["Message"]
    assert "eventList.2.member" in message
    assert "itemId" in message and "'7'" in message and "'8'" in message
    assert memory.events == []  # nothing of a refused call is stored


def test_properties_that_are_not_a_json_object_are_an_invalid_input(memory_server, memory):
    with pytest.raises(memory_server.events.exceptions.InvalidInputException) as info:
        put(memory_server.events, {"eventType": "View", "itemId": "1", "sentAt": T0, "properties": "not json"})

    assert "properties" in info.value.response["Error"]["Message"]


# -- over the local engine: what the events carry reaches the engine ------------
PHONE = [f"p{n}" for n in range(6)]
DESKTOP = [f"d{n}" for n in range(6)]
SECONDS = T0.timestamp()


@pytest.fixture(scope="module")
def devices():
    """A local engine behind the server, fed through PutEvents the way AWS's
    samples feed it (the item in ``properties``, the device as a metadata
    column): phone users browse ``p*`` on phones, desktop users ``d*`` on
    desktops; "shopper" saw one of each."""
    pytest.importorskip("numpy")
    pytest.importorskip("scipy")
    from personalize_sdk.backends.local import LocalBackend

    from .conftest import start

    backend = LocalBackend(min_data_scale=0.01, auto_train=False, exploration_weight=0.0)
    served = start(backend)
    for items in (PHONE, DESKTOP):  # PutItems takes at most 10 items a call
        served.events.put_items(datasetArn=served.config.items_dataset_arn, items=[{"itemId": i} for i in items])
    for user in range(60):
        items, device = (PHONE, "phone") if user % 2 else (DESKTOP, "desktop")
        put(served.events, *[
            {"eventType": "View", "sentAt": SECONDS + user * 100 + step,
             "properties": json.dumps({"itemId": items[(user + step) % 6], "device": device})}
            for step in range(3)
        ], user=f"u{user}", session=f"s{user}")
    put(served.events, *[{"eventType": "View", "itemId": item, "sentAt": SECONDS + 9000} for item in ("p0", "d0")],
        user="shopper", session="both")
    backend.train()
    yield served
    served.thread.stop()
    served.app.close()


def recommend(served, user: str, **params) -> list[dict]:
    return served.runtime.get_recommendations(
        recommenderArn=served.config.recommender_arn("recommended_for_you"), userId=user, numResults=6, **params
    )["itemList"]


def test_an_item_id_in_properties_changes_the_next_answer(devices):
    before = [entry["itemId"] for entry in recommend(devices, "segment-user")]

    put(devices.events, *[
        {"eventType": "View", "sentAt": SECONDS + 20000 + n, "properties": json.dumps({"itemId": item})}
        for n, item in enumerate(["p2", "p3", "p2", "p3"])
    ], user="segment-user", session="seg-1")

    stored = [e for e in devices.backend.iter_events() if e.user_id == "segment-user"]
    assert [e.item_id for e in stored] == ["p2", "p3", "p2", "p3"]
    after = [entry["itemId"] for entry in recommend(devices, "segment-user")]
    assert after != before
    assert set(after[:2]) <= set(PHONE)  # the neighbours of what was just viewed


def test_the_device_is_stored_with_the_event(devices):
    stored = [e for e in devices.backend.iter_events() if e.user_id in ("u1", "u2")]

    assert {(e.user_id, e.properties["device"]) for e in stored} == {("u1", "phone"), ("u2", "desktop")}


def test_a_request_context_prefers_the_items_used_in_that_context(devices):
    def phone_share(entries) -> float:
        return sum(entry["score"] for entry in entries if entry["itemId"] in PHONE)

    plain = recommend(devices, "shopper")
    on_phone = recommend(devices, "shopper", context={"DEVICE": "phone"})
    on_desktop = recommend(devices, "shopper", context={"DEVICE": "desktop"})

    assert phone_share(on_phone) > phone_share(plain) > phone_share(on_desktop)
    assert on_phone[0]["itemId"] in PHONE and on_desktop[0]["itemId"] in DESKTOP


def test_impressions_and_the_recommendation_id_reach_the_engines_store(devices):
    response = devices.runtime.get_recommendations(
        recommenderArn=devices.config.recommender_arn("recommended_for_you"), userId="clicker", numResults=3
    )
    shown = [entry["itemId"] for entry in response["itemList"]]
    rid = response["recommendationId"]

    put(devices.events,
        {"eventType": "Click", "itemId": shown[0], "sentAt": SECONDS + 30000, "recommendationId": rid},
        {"eventType": "View", "itemId": "d4", "sentAt": SECONDS + 30001, "impression": ["d4", "d5", "p5"]},
        user="clicker", session="c-1")

    click, view = [e for e in devices.backend.iter_events() if e.user_id == "clicker"]
    assert click.recommendation_id == rid
    assert view.impression == ("d4", "d5", "p5")
    # The engine knows what that recommendation showed (its implicit impressions).
    assert devices.backend.engine.store.served_lists([rid]) == {rid: shown}
