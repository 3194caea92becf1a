"""Frequently bought together means complements: substitutes rank below them."""

from __future__ import annotations

import pytest

from personalize_sdk import Event, Item

from .conftest import make_backend, make_client

T0 = 1_700_000_000.0


def _items():
    items = [Item(f"tray{n}", {"categoryL1": "Kitchen", "categoryL2": "Trays"}) for n in range(4)]
    items += [Item(f"mitt{n}", {"categoryL1": "Kitchen", "categoryL2": "Mitts"}) for n in range(3)]
    items += [Item(f"paper{n}", {"categoryL1": "Supplies", "categoryL2": "Parchment"}) for n in range(2)]
    items += [Item("lamp", {"categoryL1": "Garden", "categoryL2": "Lamps"})]
    return items


def _orders(client, baskets):
    events, n = [], 0
    for basket, times in baskets:
        for _ in range(times):
            n += 1
            for k, item in enumerate(basket):
                events.append(Event("View", f"o{n}", item, f"c{n}", sent_at=T0 + n * 100 + k))
                events.append(Event("Purchase", f"o{n}", item, f"c{n}", sent_at=T0 + n * 100 + k + 50))
    client.record_many(events)


@pytest.fixture
def shop():
    backend = make_backend(min_data_scale=0.005)
    client = make_client(backend)
    client.put_items(_items())
    _orders(client, [
        (["tray0", "tray1"], 6),           # two sizes of tray: substitutes bought together
        (["tray0", "mitt0"], 3),           # a tray and its mitts: complements
        (["tray0", "paper0"], 2),
        (["tray2", "mitt1"], 4),
        (["tray3", "paper1"], 1),          # one co-purchase: thin, but evidence
        (["mitt2"], 2), (["lamp"], 2),
    ])
    # viewed together, never bought together
    client.record_many(Event("View", f"v{n}", item, f"viewer{n}", sent_at=T0 + 5000 + n * 10 + k)
                       for n in range(4) for k, item in enumerate(("lamp", "tray1", "mitt2")))
    backend.train()
    yield backend, client
    client.close()


def test_a_complement_ranks_above_a_substitute_bought_more_often_with_the_item(shop):
    _backend, client = shop
    result = client.recommend("bought_together", item_id="tray0", num_results=3)
    assert result.source == "model"
    assert result.item_ids[:2] == ["mitt0", "paper0"]
    assert result.item_ids[2] == "tray1"  # still there, after the complements


def test_one_co_purchase_is_evidence_enough_not_to_fall_back_to_also_viewed(shop):
    _backend, client = shop
    result = client.recommend("bought_together", item_id="tray3", num_results=3)
    assert result.source == "model" and result.item_ids[0] == "paper1"
    assert all("also_viewed" not in r.reason for r in result)


def test_a_short_list_is_topped_up_from_the_families_bought_with_the_items_own(shop):
    _backend, client = shop
    result = client.recommend("bought_together", item_id="tray3", num_results=4)
    topped = [r for r in result if "complementary_family" in r.reason]
    assert topped and all(r.item_id.startswith(("mitt", "paper")) for r in topped)


def test_only_an_item_never_bought_with_another_gets_also_viewed_marked_as_a_fallback(shop):
    _backend, client = shop
    result = client.recommend("bought_together", item_id="lamp", num_results=2)
    assert result.source == "fallback" and "also viewed" in result.reason
    assert set(result.item_ids) == {"tray1", "mitt2"}
    assert all("also_viewed" in r.reason for r in result)


def test_the_substitute_penalty_is_an_option(shop):
    backend = make_backend(min_data_scale=0.005, bought_together_substitute_penalty=1.0)
    client = make_client(backend)
    client.put_items(_items())
    _orders(client, [(["tray0", "tray1"], 6), (["tray0", "mitt0"], 3), (["mitt2"], 2)])
    backend.train()
    # without the penalty, raw lift puts the substitute first
    assert client.recommend("bought_together", item_id="tray0", num_results=2).item_ids[0] == "tray1"
    client.close()
