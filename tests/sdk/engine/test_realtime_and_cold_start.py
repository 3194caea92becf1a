"""Real-time personalization, cold users and new items."""

from __future__ import annotations

from personalize_sdk import Event

from . import shop
from .conftest import fill, make_backend, make_client


def test_a_click_changes_the_next_recommended_for_you_without_retraining(client, backend):
    before = client.recommend("recommended_for_you", user_id="u5", num_results=5)
    version = backend.engine.model.version
    client.record(Event("View", "s-now", "i81", "u5", sent_at=shop.START + 60 * shop.DAY))
    after = client.recommend("recommended_for_you", user_id="u5", num_results=5)
    assert backend.engine.model.version == version  # no training happened
    assert after.item_ids != before.item_ids
    assert "i85" in after.item_ids  # what usually follows i81


def test_a_user_without_history_gets_marked_best_sellers(client):
    result = client.recommend("recommended_for_you", user_id="somebody-new", num_results=5)
    assert result.source == "fallback"
    assert "no history" in result.reason and "best sellers" in result.reason
    assert result.item_ids == client.recommend("best_sellers", num_results=5).item_ids


def test_a_guest_is_personalized_by_session_id(client):
    client.record(Event("View", "guest-session", "i81", sent_at=shop.START + 60 * shop.DAY))
    result = client.recommend("recommended_for_you", user_id="guest-session", num_results=5)
    assert result.source == "model" and "i85" in result.item_ids


def test_a_new_item_enters_recommended_for_you_through_exploration():
    backend = make_backend(exploration_weight=0.3)
    client = make_client(backend)
    fill(client)
    backend.train()
    result = client.recommend("recommended_for_you", user_id="u1", num_results=10)
    explored = [r.item_id for r in result if "Exploration" in r.reason]
    assert len(explored) == 3
    assert {int(i[1:]) for i in explored} <= set(shop.YOUNG)
    backend.close()


def test_a_new_item_enters_also_viewed_through_its_category():
    backend = make_backend(exploration_weight=0.3)
    client = make_client(backend)
    fill(client)
    backend.train()
    # i0's category (c0) holds the young items i112 and i116, which nobody has seen yet.
    result = client.recommend("also_viewed", item_id="i0", num_results=40)
    assert {"i112", "i116"} & set(result.item_ids)
    # And a new item's own neighbours are its category.
    own = client.recommend("also_viewed", item_id="i116", num_results=5)
    assert own.source == "fallback" and "no interactions" in own.reason
    assert all(int(i[1:]) % 4 == 0 for i in own.item_ids)
    backend.close()
