"""An event's metadata columns (its context) are stored with it, and a
request's ``context`` prefers the items used in that context."""

from __future__ import annotations

import pytest

from personalize_sdk import Event, Item
from personalize_sdk.engine.context import build

from .conftest import make_backend, make_client

START = 1_700_000_000.0
PHONE = [f"p{n}" for n in range(6)]
DESKTOP = [f"d{n}" for n in range(6)]


def device_shop(**options):
    """Two halves of a catalogue alike in every way but the device they are
    used on: phone users browse ``p*`` on phones, desktop users ``d*`` on
    desktops, in runs of three neighbours; and a shopper who saw one of each."""
    backend = make_backend(**options)
    client = make_client(backend)
    client.put_items([Item(item) for item in PHONE + DESKTOP])
    events = []
    for user in range(60):
        items, device = (PHONE, "phone") if user % 2 else (DESKTOP, "desktop")
        for step in range(3):
            events.append(Event("View", f"s{user}", items[(user + step) % 6], f"u{user}",
                                sent_at=START + user * 100 + step, properties={"device": device}))
    events.append(Event("View", "both", "p0", "shopper", sent_at=START + 9000))
    events.append(Event("View", "both", "d0", "shopper", sent_at=START + 9000))
    client.record_many(events)
    backend.train()
    return backend, client


def share_on(result, items) -> float:
    return sum(rec.score for rec in result if rec.item_id in items)


def test_an_events_context_is_stored_with_it():
    backend, _client = device_shop()

    stored = [e for e in backend.iter_events() if e.user_id == "u1"]

    assert {e.properties["device"] for e in stored} == {"phone"}
    backend.close()


def test_a_context_prefers_the_items_used_in_that_context():
    backend, client = device_shop()

    plain = client.recommend("recommended_for_you", user_id="shopper", num_results=6)
    on_phone = client.recommend("recommended_for_you", user_id="shopper", num_results=6,
                                context={"DEVICE": "phone"})
    on_desktop = client.recommend("recommended_for_you", user_id="shopper", num_results=6,
                                  context={"DEVICE": "desktop"})

    assert on_phone.source == on_desktop.source == "model"
    assert share_on(on_phone, PHONE) > share_on(plain, PHONE) > share_on(on_desktop, PHONE)
    assert on_phone.item_ids[0] in PHONE and on_desktop.item_ids[0] in DESKTOP
    backend.close()


def test_a_context_reorders_a_ranking_and_it_still_sums_to_1():
    backend, client = device_shop()

    ranked = client.rank("shopper", ["p1", "d1", "p2", "d2"], context={"device": "desktop"})

    assert set(ranked.item_ids[:2]) == {"d1", "d2"}
    assert sum(rec.score for rec in ranked) == pytest.approx(1.0, abs=1e-5)
    backend.close()


def test_an_unknown_context_key_or_value_changes_nothing():
    backend, client = device_shop()
    plain = client.recommend("recommended_for_you", user_id="shopper", num_results=6)

    for context in ({"LOCATION": "Paris"}, {"DEVICE": "television"}):
        other = client.recommend("recommended_for_you", user_id="shopper", num_results=6, context=context)
        assert [(r.item_id, r.score) for r in other] == [(r.item_id, r.score) for r in plain]
    backend.close()


def test_context_weight_0_ignores_the_context():
    backend, client = device_shop(context_weight=0.0)

    plain = client.recommend("recommended_for_you", user_id="shopper", num_results=6)
    on_phone = client.recommend("recommended_for_you", user_id="shopper", num_results=6,
                                context={"DEVICE": "phone"})

    assert [(r.item_id, r.score) for r in on_phone] == [(r.item_id, r.score) for r in plain]
    backend.close()


def test_the_lift_is_smoothed_toward_1_for_items_with_few_events():
    backend, _client = device_shop()
    model = backend.engine.model

    lift = model.context.lift({"DEVICE": "phone"})

    phone_items = [model.item_index[i] for i in PHONE]
    desktop_items = [model.item_index[i] for i in DESKTOP]
    # Every p* event is on a phone, half of all events are: a lift under 2,
    # pulled toward 1 by the prior of 10 pseudo-events.
    assert all(1.0 < lift[i] < 2.0 for i in phone_items)
    assert all(0.0 < lift[i] < 1.0 for i in desktop_items)
    assert model.context.lift({"DEVICE": "unknown"}) is None
    backend.close()


def test_a_context_is_counted_from_any_spelling_of_the_column(backend):
    client = make_client(backend)
    client.record_many([
        Event("View", "s", "a", "u", sent_at=START, properties={"deviceType": "phone"}),
        Event("View", "s", "b", "u", sent_at=START + 1, properties={"DEVICE_TYPE": "phone"}),
    ])

    columns = build(backend.engine.store, {"a": 0, "b": 1}, prior=10.0).columns

    assert list(columns) == ["DEVICE_TYPE"]
    assert columns["DEVICE_TYPE"].per_item.tolist() == [1.0, 1.0]
