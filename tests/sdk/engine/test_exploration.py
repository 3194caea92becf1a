"""Exploration: on, off, and ignored impressions counting against an item."""

from __future__ import annotations

from personalize_sdk import Event
from personalize_sdk.engine.scales import slot_scores

from . import shop
from .conftest import trained as _trained


def _explored(result):
    return [r.item_id for r in result if "Exploration" in r.reason]


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
    positions = [i for i, r in enumerate(result) if "Exploration" in r.reason]
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


def _exposure(backend, item_id):
    model = backend.engine.model
    return model.exposure[model.item_index[item_id]]


def test_explicit_impressions_never_clicked_count_against_an_item():
    backend, client = _trained(exploration_weight=0.3)
    shown = _explored(client.recommend("recommended_for_you", user_id="u1", num_results=10))[0]
    before = _exposure(backend, shown)
    client.record_many(
        Event("View", f"imp-{n}", "i1", f"viewer{n}", sent_at=shop.START + 41 * shop.DAY, impression=["i1", shown])
        for n in range(3)
    )
    backend.train()
    # three ignored impressions (the served list that showed it counts once more)
    assert _exposure(backend, shown) == before + 3 + 1
    backend.close()


def test_implicit_impressions_from_a_recommendation_id_count_too():
    backend, client = _trained(exploration_weight=0.3)
    result = client.recommend("recommended_for_you", user_id="u1", num_results=10)
    explored = _explored(result)
    clicked = next(r.item_id for r in result if "Exploration" not in r.reason)
    before = {item: _exposure(backend, item) for item in [clicked, *explored]}
    client.record(Event("Click", "s-now", clicked, "u1", sent_at=shop.START + 41 * shop.DAY,
                        recommendation_id=result.recommendation_id))
    backend.train()
    for item in explored:  # shown, not chosen: one impression against each
        assert _exposure(backend, item) == before[item] + 1
    assert _exposure(backend, clicked) == before[clicked] + 1  # the click itself, not an ignored impression
    backend.close()


def _descending(result):
    scores = [r.score for r in result]
    return all(a >= b for a, b in zip(scores, scores[1:]))


def test_lists_with_explored_items_are_in_descending_score_order():
    backend, client = _trained(exploration_weight=0.3)
    for user in ("u1", "u7", "u42"):
        result = client.recommend("recommended_for_you", user_id=user, num_results=10)
        assert _explored(result) and _descending(result), [(r.item_id, r.score, r.reason) for r in result]
        # an explored item's score sits between those of the items around it
        for k, rec in enumerate(result):
            if "Exploration" in rec.reason and 0 < k < len(result) - 1:
                assert result[k - 1].score >= rec.score >= result[k + 1].score
    # related lists topped up from the category (explored young items among them) too
    for item in ("i0", "i116", "i3"):
        for use_case in ("also_viewed", "bought_together"):
            result = client.recommend(use_case, item_id=item, num_results=40)
            assert _descending(result), (use_case, item, [(r.item_id, r.score, r.reason) for r in result])
    backend.close()


def test_ranking_puts_unknown_items_last_without_a_higher_score():
    backend, client = _trained(exploration_weight=0.0)
    result = client.rank("u1", ["i3", "never-seen", "i5", "i100"])
    assert result.item_ids[-1] == "never-seen" and _descending(result)
    backend.close()


def test_slot_scores_keeps_order_and_makes_scores_descending():
    ex = ("Exploration",)
    # an ordinary list is untouched
    assert slot_scores([(1, 0.9, ()), (2, 0.5, ())]) == [(1, 0.9, ()), (2, 0.5, ())]
    # explored items take a score between the ranked items around them
    assert slot_scores([(1, 0.9, ()), (2, 0.1, ex), (3, 0.5, ())]) == [(1, 0.9, ()), (2, 0.7, ex), (3, 0.5, ())]
    # a top-up on a higher scale is mapped under the item above it, keeping its order:
    # scaled while the scores are positive,
    out = slot_scores([(1, 0.9, ()), (2, 0.5, ()), (3, 2.0, ("category",)), (4, 1.0, ("category",))])
    assert [round(s, 6) for _i, s, _w in out] == [0.9, 0.5, 0.5, 0.25]
    # shifted otherwise
    out = slot_scores([(1, 0.9, ()), (2, -0.5, ()), (3, 2.3, ("category",)), (4, 2.1, ("category",))])
    assert [round(s, 6) for _i, s, _w in out] == [0.9, -0.5, -0.5, -0.7]
    # at the end of the list, an explored item is bounded by its own relevance
    assert slot_scores([(1, 0.9, ()), (2, 0.1, ex)])[1][1] == 0.5
    assert slot_scores([(2, 0.1, ex), (1, 0.9, ())])[0][1] == 0.9
