"""Filters evaluated inside the engine, before the list is cut to num_results."""

from __future__ import annotations

import pytest

from personalize_sdk import Event, User

from . import shop
from .conftest import fill, make_backend, make_client

pytest.importorskip("personalize_sdk.filters.evaluate")

FILTERS = {
    "category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    "not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    "cheaper": "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE",
    "members_cheap": 'INCLUDE ItemID WHERE Items.PRICE < 40 IF CurrentUser.MEMBERSHIP IN ("basic")',
}

CASES = (
    ("best_sellers", {}),
    ("most_viewed", {}),
    ("also_viewed", {"item_id": "i40"}),
    ("bought_together", {"item_id": "i40"}),
    ("recommended_for_you", {"user_id": "u1"}),
)


@pytest.fixture
def filtered():
    backend = make_backend()
    client = make_client(backend, filters=FILTERS)
    fill(client)
    backend.train()
    yield client
    client.close()


@pytest.mark.parametrize("use_case, kw", [case for case in CASES if case[0] != "bought_together"])
def test_without_a_filter_every_category_appears(filtered, use_case, kw):
    result = filtered.recommend(use_case, num_results=12, **kw)
    assert len(result) == 12
    assert len({int(i[1:]) % 4 for i in result.item_ids}) > 1


def test_without_a_filter_bought_together_keeps_to_the_complementary_category(filtered):
    # i40 (c0) is bought with i41 (c1): its top-up comes from c1, not from its own c0
    result = filtered.recommend("bought_together", item_id="i40", num_results=12)
    assert len(result) == 12 and result.item_ids[0] == "i41"
    assert {int(i[1:]) % 4 for i in result.item_ids} == {1}
    restricted = filtered.recommend("bought_together", item_id="i40", num_results=12, filter="category",
                                    filter_values={"CATEGORY": "c0"})
    assert len(restricted) == 12 and all(int(i[1:]) % 4 == 0 for i in restricted.item_ids)


@pytest.mark.parametrize("use_case, kw", CASES)
def test_a_category_filter_keeps_the_list_full_and_in_the_category(filtered, use_case, kw):
    result = filtered.recommend(use_case, num_results=12, filter="category", filter_values={"CATEGORY": "c1"}, **kw)
    assert len(result) == 12
    assert all(int(i[1:]) % 4 == 1 for i in result.item_ids)


def test_an_interactions_filter_sees_events_recorded_after_training(filtered):
    filtered.record(Event("Purchase", "s-now", "i85", "u1", sent_at=shop.START + 60 * shop.DAY))
    filtered.record(Event("View", "s-now", "i81", "u1", sent_at=shop.START + 60 * shop.DAY + 1))
    unfiltered = filtered.recommend("best_sellers", user_id="u1", num_results=120)
    assert "i85" in unfiltered.item_ids
    result = filtered.recommend("best_sellers", user_id="u1", num_results=120, filter="not_bought")
    bought = {e.item_id for e in shop.events() if e.user_id == "u1" and e.event_type == "Purchase"} | {"i85"}
    assert not bought & set(result.item_ids)
    assert len(result) == shop.N_ITEMS - len(bought)


def test_current_item_filters_apply_to_related_items(filtered):
    result = filtered.recommend("also_viewed", item_id="i40", num_results=20, filter="cheaper")
    assert len(result) == 20
    assert all(int(i[1:]) < 40 for i in result.item_ids)  # price is 10 + index


def test_user_conditions_read_the_stored_user(filtered):
    filtered.put_users([User("u1", {"membership": "basic"}), User("u2", {"membership": "gold"})])
    basic = filtered.recommend("recommended_for_you", user_id="u1", num_results=10, filter="members_cheap")
    assert all(int(i[1:]) < 30 for i in basic.item_ids)
    gold = filtered.recommend("recommended_for_you", user_id="u2", num_results=30, filter="members_cheap")
    assert any(int(i[1:]) >= 30 for i in gold.item_ids)


def test_ranking_drops_items_the_filter_excludes(filtered):
    result = filtered.rank("u1", ["i1", "i2", "i5", "i6"], filter="category", filter_values={"CATEGORY": "c1"})
    assert sorted(result.item_ids) == ["i1", "i5"]
