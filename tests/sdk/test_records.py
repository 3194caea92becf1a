"""Records are validated on construction: one test per Personalize limit."""

import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personalize_sdk import Event, InvalidRecordError, Item, User
from personalize_sdk.records import MAX_EVENT_BYTES, new_event_id


def event(**overrides):
    kwargs = {"event_type": "View", "session_id": "s1", "item_id": "i1"}
    kwargs.update(overrides)
    return Event(**kwargs)


def assert_invalid(field: str, fragment: str, build):
    with pytest.raises(InvalidRecordError) as info:
        build()
    assert info.value.field == field
    assert fragment in info.value.rule
    assert field in str(info.value)


@pytest.mark.parametrize("field", ["event_type", "session_id", "item_id", "user_id", "event_id"])
def test_ids_longer_than_256_characters_are_refused(field):
    event(**{field: "x" * 256})  # the limit itself is fine
    assert_invalid(field, "at most 256 characters", lambda: event(**{field: "x" * 257}))


@pytest.mark.parametrize("field", ["event_type", "session_id", "item_id", "user_id", "event_id"])
def test_empty_ids_are_refused(field):
    assert_invalid(field, "must not be empty", lambda: event(**{field: ""}))


def test_ids_must_be_strings_but_integers_are_converted():
    assert event(item_id=42).item_id == "42"
    assert_invalid("item_id", "must be a string", lambda: event(item_id=4.2))
    assert_invalid("item_id", "must be a string", lambda: event(item_id=True))


def test_recommendation_id_is_at_most_40_characters():
    event(recommendation_id="r" * 40)
    assert_invalid("recommendation_id", "at most 40 characters", lambda: event(recommendation_id="r" * 41))


def test_at_most_25_impressions():
    assert event(impression=[str(i) for i in range(25)]).impression == tuple(str(i) for i in range(25))
    assert_invalid("impression", "at most 25", lambda: event(impression=[str(i) for i in range(26)]))


def test_impressions_are_checked_one_by_one():
    assert_invalid("impression[1]", "at most 256", lambda: event(impression=["a", "b" * 257]))
    assert_invalid("impression", "at least 1", lambda: event(impression=[]))
    assert_invalid("impression", "list of item ids", lambda: event(impression="abc"))


def test_event_properties_encode_to_at_most_1024_characters():
    fits = {"p": "x" * (1024 - len('{"p":""}'))}
    assert len(event(properties=fits).properties_json) == 1024
    assert_invalid("properties", "at most 1024 characters", lambda: event(properties={"p": "x" * 1024}))


def test_event_properties_must_not_use_reserved_keys():
    assert_invalid("properties['UserId']", "reserved", lambda: event(properties={"UserId": "7"}))
    assert_invalid("properties['impression']", "reserved", lambda: event(properties={"impression": "7"}))


def test_properties_must_be_json_objects():
    assert_invalid("properties", "must be a mapping", lambda: event(properties=["a"]))
    assert_invalid("properties", "JSON-serialisable", lambda: event(properties={"when": object()}))
    assert event(properties='{"device": "phone"}').properties == {"device": "phone"}


def test_item_properties_limit_is_32000_and_user_properties_24000():
    Item("i", properties={"d": "x" * 31000})
    assert_invalid("properties", "at most 32000", lambda: Item("i", properties={"d": "x" * 32000}))
    User("u", properties={"d": "x" * 23000})
    assert_invalid("properties", "at most 24000", lambda: User("u", properties={"d": "x" * 24000}))


def test_item_and_user_ids_are_checked():
    assert_invalid("item_id", "at most 256", lambda: Item("x" * 257))
    assert_invalid("user_id", "must not be empty", lambda: User(""))


def test_event_size_cap_counts_bytes_not_characters():
    wide = {"p": "é" * 500}  # 500 characters, 1000 bytes of UTF-8
    impressions = [f"{i:03d}" + "€" * 253 for i in range(25)]  # 3 bytes per euro sign
    assert_invalid("event", f"at most {MAX_EVENT_BYTES} bytes", lambda: event(impression=impressions, properties=wide))


def test_an_event_of_ids_alone_can_exceed_the_size_cap():
    # Characters outside the Basic Multilingual Plane take 12 bytes each as JSON.
    astral = "\U0001F600" * 256
    assert_invalid(
        "event",
        f"at most {MAX_EVENT_BYTES} bytes",
        lambda: event(session_id=astral, item_id=astral, user_id=astral, event_type=astral),
    )


texts = st.text(min_size=1, max_size=256)


@settings(max_examples=200, deadline=None)
@given(
    ids=st.tuples(texts, texts, st.one_of(st.none(), texts), st.one_of(st.none(), texts)),
    props=st.one_of(st.none(), st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=60), max_size=5)),
    impression=st.one_of(st.none(), st.lists(texts, min_size=1, max_size=25)),
    value=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
)
def test_the_size_bound_is_never_below_the_exact_size(ids, props, impression, value):
    event_type, session_id, item_id, user_id = ids
    try:
        built = Event(event_type, session_id, item_id, user_id, properties=props, impression=impression,
                      event_value=value)
    except InvalidRecordError:
        return  # refused (reserved property key, too large...): nothing to bound
    exact = len(json.dumps(built.to_dict(), separators=(",", ":")).encode("utf-8"))
    assert built._size_bound() >= exact


def test_sent_at_defaults_to_now_and_must_be_timezone_aware():
    before = datetime.now(timezone.utc)
    assert before - timedelta(seconds=1) <= event().sent_at <= datetime.now(timezone.utc)
    assert_invalid("sent_at", "timezone-aware", lambda: event(sent_at=datetime(2024, 1, 1)))
    assert event(sent_at=1704067200).sent_at == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert_invalid("sent_at", "timezone-aware datetime", lambda: event(sent_at="yesterday"))


def test_event_value_must_be_a_finite_number():
    from decimal import Decimal

    assert event(event_value=Decimal("19.99")).event_value == 19.99
    assert_invalid("event_value", "finite", lambda: event(event_value=float("nan")))
    assert_invalid("event_value", "must be a number", lambda: event(event_value="cheap"))


def test_event_id_is_stable_and_unique_unless_given():
    first, second = event(), event()
    assert first.event_id != second.event_id and len(first.event_id) == 32
    assert event(event_id="abc").event_id == "abc"
    assert first.to_personalize()["eventId"] == first.event_id


def test_round_trip_through_dict_keeps_everything():
    original = event(user_id="u", event_value=3.5, properties={"device": "phone"}, impression=["a", "b"],
                     recommendation_id="RID-1", sent_at=datetime(2024, 5, 1, 12, tzinfo=timezone.utc))
    assert Event.from_dict(original.to_dict()) == original
    assert Item.from_dict(Item("i", {"PRICE": 3}).to_dict()) == Item("i", {"PRICE": 3})
    assert User.from_dict({"user_id": "u"}) == User("u")


def test_from_dict_names_unknown_and_missing_fields():
    assert_invalid("colour", "not a known event field", lambda: Event.from_dict({"event_type": "View", "session_id": "s", "colour": 1}))
    assert_invalid("session_id", "is required", lambda: Event.from_dict({"event_type": "View"}))
    assert_invalid("sent_at", "ISO 8601", lambda: Event.from_dict({"event_type": "View", "session_id": "s", "sent_at": "x"}))


def test_to_personalize_uses_the_api_member_names():
    e = event(user_id="u", event_value=2, properties={"b": 1, "a": 2}, impression=["x"], recommendation_id="r")
    wire = e.to_personalize()
    assert wire == {
        "eventId": e.event_id, "eventType": "View", "sentAt": e.sent_at, "itemId": "i1", "eventValue": 2.0,
        "properties": '{"a":2,"b":1}', "impression": ["x"], "recommendationId": "r",
    }
    assert Item("i", {"price": 3}).to_personalize() == {"itemId": "i", "properties": '{"price":3}'}


def test_new_event_ids_are_version_4_uuids_and_unique():
    ids = [event().event_id for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for value in ids[:100]:
        parsed = uuid.UUID(hex=value)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, value)


def test_seeding_the_random_module_does_not_repeat_event_ids():
    random.seed(1)
    first = event().event_id
    random.seed(1)
    assert event().event_id != first


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_draws_other_event_ids_than_its_parent():
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out without running pytest's teardown
        os.write(write_end, new_event_id().encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child = os.read(read_end, 64).decode()
    os.close(read_end)
    assert len(child) == 32 and child != new_event_id()


# -- properties keys that are the event's own columns (PutEvents' Event.properties) --
def test_an_item_id_and_event_value_in_properties_become_the_events_own():
    built = Event("Rating", "s1", properties={"itemId": "choc-panama", "eventValue": 4, "device": "phone"})

    assert (built.item_id, built.event_value) == ("choc-panama", 4.0)
    assert built.properties == {"device": "phone"}  # the rest stays metadata
    assert built.to_personalize()["itemId"] == "choc-panama"
    assert json.loads(built.to_personalize()["properties"]) == {"device": "phone"}


def test_properties_columns_are_read_in_any_schema_spelling_and_from_a_json_string():
    assert Event("View", "s1", properties='{"ITEM_ID": "7"}').item_id == "7"
    assert Event("View", "s1", properties={"item_id": 7}).item_id == "7"  # Django pks are ints
    assert Event("View", "s1", properties={"eventValue": "2.5"}).event_value == 2.5
    assert Event("View", "s1", properties={"itemId": "7"}).properties is None


def test_the_same_item_id_in_both_places_is_accepted():
    assert event(item_id="i1", properties={"itemId": "i1"}).item_id == "i1"


def test_a_different_item_id_in_properties_is_refused_naming_both():
    assert_invalid("properties['itemId']", "item_id is 'i1'", lambda: event(properties={"itemId": "i2"}))
    with pytest.raises(InvalidRecordError) as info:
        event(properties={"itemId": "i2"})
    assert "'i2'" in str(info.value) and "'i1'" in str(info.value)


def test_a_different_event_value_in_properties_is_refused():
    assert_invalid("properties['eventValue']", "event_value is 1.0",
                   lambda: event(event_value=1, properties={"eventValue": 2}))


def test_properties_columns_keep_their_own_rules():
    assert_invalid("properties['itemId']", "at most 256", lambda: Event("View", "s", properties={"itemId": "x" * 257}))
    assert_invalid("properties['itemId']", "must be a string", lambda: Event("View", "s", properties={"itemId": [1]}))
    assert_invalid("properties['eventValue']", "must be a number",
                   lambda: Event("View", "s", properties={"eventValue": "lots"}))


def test_an_event_with_its_item_in_properties_round_trips():
    original = Event("View", "s1", properties={"itemId": "i9", "device": "phone"})
    assert Event.from_dict(original.to_dict()) == original


# -- text a client can send (issue 21, point 2) ------------------------------

HOSTILE_ID_TEXT = [
    ("\x00", "NUL (U+0000"),
    ("\ud800", "lone surrogate (U+D800"),
    ("\udfff", "lone surrogate (U+DFFF"),
    ("\x1b", "control characters (U+001B"),
    ("\n", "control characters (U+000A"),
    ("\x7f", "control characters (U+007F"),
]


@pytest.mark.parametrize("text, rule", HOSTILE_ID_TEXT)
@pytest.mark.parametrize(
    "field", ["event_id", "recommendation_id", "session_id", "user_id", "item_id", "event_type"]
)
def test_event_ids_refuse_nul_controls_and_lone_surrogates(field, text, rule):
    kwargs = {"event_type": "View", "session_id": "s1", field: f"ab{text}c"}
    with pytest.raises(InvalidRecordError) as info:
        Event(**kwargs)
    assert info.value.field == field
    assert rule in str(info.value) and "position 2" in str(info.value)


@pytest.mark.parametrize("text, rule", HOSTILE_ID_TEXT)
def test_impression_ids_are_checked_by_index(text, rule):
    with pytest.raises(InvalidRecordError) as info:
        Event("View", "s1", impression=["ok", f"x{text}"])
    assert info.value.field == "impression[1]"
    assert rule in str(info.value)


@pytest.mark.parametrize("cls, field", [(Item, "item_id"), (User, "user_id")])
@pytest.mark.parametrize("text, rule", HOSTILE_ID_TEXT)
def test_item_and_user_ids_refuse_the_same_characters(cls, field, text, rule):
    with pytest.raises(InvalidRecordError) as info:
        cls(f"id{text}")
    assert info.value.field == field and rule in str(info.value)


@pytest.mark.parametrize("key", ["a\x00", "a\x1b", "a\ud83d", "a\u200b", "a\x85"])
@pytest.mark.parametrize("cls", [Event, Item, User])
def test_property_keys_must_be_printable(cls, key):
    args = ("View", "s1") if cls is Event else ("id1",)
    with pytest.raises(InvalidRecordError) as info:
        cls(*args, properties={key: "v"})
    assert info.value.field == f"properties[{key!r}]"
    assert "printable" in str(info.value)


def test_property_keys_are_at_most_256_characters():
    Item("i", properties={"k" * 256: 1})
    with pytest.raises(InvalidRecordError, match="at most 256 characters"):
        Item("i", properties={"k" * 257: 1})


@pytest.mark.parametrize(
    "value, field, rule",
    [
        ("red\x00", "properties['color']", "NUL"),
        ("red\ud800", "properties['color']", "lone surrogate"),
        (["ok", "x\x00"], "properties['color'][1]", "NUL"),
        ({"inner": "\udc00"}, "properties['color']['inner']", "lone surrogate"),
    ],
)
def test_property_values_refuse_nul_and_lone_surrogates(value, field, rule):
    for record in (lambda: Event("View", "s1", properties={"color": value}),
                   lambda: Item("i1", properties={"color": value})):
        with pytest.raises(InvalidRecordError) as info:
            record()
        assert info.value.field == field and rule in str(info.value)


def test_properties_as_a_json_string_are_checked_after_decoding():
    with pytest.raises(InvalidRecordError, match="NUL"):
        Event("View", "s1", properties='{"color": "red\\u0000"}')
    with pytest.raises(InvalidRecordError, match="lone surrogate"):
        Item("i1", properties='{"color": "\\ud800"}')


def test_legitimate_text_passes():
    # A backslash-u written out, tabs and newlines in values, any script, and
    # characters outside the Basic Multilingual Plane (a proper surrogate pair in JSON).
    event = Event(
        "View", "séance-東京-🙂", item_id="prod/42 ü", user_id="ünïcode",
        properties={"note": "\\u0000 is not NUL\tline\nbreak", "emoji": "🙂"},
    )
    assert event.properties["emoji"] == "🙂"
    assert Item("i1", properties='{"e": "\\ud83d\\ude42"}').properties == {"e": "🙂"}


def test_from_dict_reports_the_field_of_hostile_text():
    with pytest.raises(InvalidRecordError) as info:
        Event.from_dict({"event_type": "View", "session_id": "s", "recommendation_id": "r\x00"})
    assert info.value.field == "recommendation_id"


@pytest.mark.parametrize(
    "given",
    [
        dict(event_type="View", session_id="s1", item_id="i1", sent_at=1_700_000_000.25),
        dict(event_type="Purchase", session_id="s2", item_id="i2", user_id="u2", sent_at=1_700_000_001.0,
             event_value=12.5, recommendation_id="RID-1", impression=["i2", "i3"],
             properties={"discount": "yes", "numberOfRatings": 3}, event_id="e-2"),
        dict(event_type="Login", session_id="s3", user_id="u3", sent_at=0.0),
    ],
)
def test_a_restored_event_equals_the_event_it_was_stored_from(given):
    event = Event(**given)

    restored = Event.restored(
        event.event_id, event.event_type, event.session_id, event.item_id, event.user_id, event.sent_at_epoch,
        event.event_value, event.recommendation_id, list(event.impression) if event.impression else None,
        event.properties_json,
    )

    assert restored == event
    assert restored.to_dict() == event.to_dict()
    assert restored.properties_json == event.properties_json
    assert restored.impression == event.impression
