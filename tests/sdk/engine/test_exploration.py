"""Exploration: on, off, and ignored impressions counting against an item."""

from __future__ import annotations

from personalize_sdk import Event

from . import shop
from .conftest import fill, make_backend, make_client


def _trained(**options):
    backend = make_backend(**options)
    client = make_client(backend)
    fill(client)
    backend.train()
    return backend, client


def _explored(result):
    return [r.item_id for r in result if "exploration" in r.reason]


def test_with_weight_zero_nothing_is_explored():
    backend, client = _trained(exploration_weight=0.0)
    result = client.recommend("recommended_for_you", user_id="u1", num_results=10)
    assert _explored(result) == []
    assert not {f"i{i}" for i in shop.YOUNG} & set(result.item_ids)
    backend.close()


def test_the_weight_is_the_share_of_explored_slots():
    backend, client = _trained(exploration_weight=0.5)
    result = client.recommend("recommended_for_you", user_id="u1", num_results=10)
    assert len(result) == 10 and len(_explored(result)) == 5
    # spread through the list, not all at the end
    positions = [i for i, r in enumerate(result) if "exploration" in r.reason]
    assert positions[0] < 5
    backend.close()


def test_only_items_younger_than_the_cutoff_are_explored():
    backend, client = _trained(exploration_weight=0.5, exploration_item_age_cutoff=1)
    result = client.recommend("recommended_for_you", user_id="u1", num_results=10)
    # the young items were created at START + 40 days; the latest event is about then too
    ages = backend.engine.model.age_days
    for item_id in _explored(result):
        assert ages[backend.engine.model.item_index[item_id]] < 1
    backend.close()


def test_explicit_impressions_never_clicked_count_against_an_item():
    backend, client = _trained(exploration_weight=0.3)
    first = _explored(client.recommend("recommended_for_you", user_id="u1", num_results=10))
    shown = first[0]
    client.record_many(
        Event("View", f"imp-{n}", "i1", f"viewer{n}", sent_at=shop.START + 41 * shop.DAY, impression=["i1", shown])
        for n in range(3)
    )
    backend.train()
    second = _explored(client.recommend("recommended_for_you", user_id="u1", num_results=10))
    assert shown not in second
    backend.close()


def test_implicit_impressions_from_a_recommendation_id_count_too():
    backend, client = _trained(exploration_weight=0.3)
    result = client.recommend("recommended_for_you", user_id="u1", num_results=10)
    explored = _explored(result)
    clicked = next(r.item_id for r in result if "exploration" not in r.reason)
    client.record(Event("Click", "s-now", clicked, "u1", sent_at=shop.START + 41 * shop.DAY,
                        recommendation_id=result.recommendation_id))
    backend.train()
    again = _explored(client.recommend("recommended_for_you", user_id="u1", num_results=10))
    assert not set(explored) & set(again)
    backend.close()
