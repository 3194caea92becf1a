"""Scores on Personalize's scale: in [0, 1], normalised over the catalogue for
recommended for you, summing to 1 over the input list for ranking."""

from __future__ import annotations

import math

import pytest

from personalize_sdk.engine.scales import Share, Softmax, shown

from . import shop
from .conftest import fill, make_backend, make_client

USERS = [f"u{n}" for n in range(0, 80, 9)] + ["a-newcomer"]
ITEMS = [f"i{n}" for n in range(0, 120, 11)] + ["not-in-the-catalogue"]


def assert_on_the_scale(result) -> None:
    scores = [rec.score for rec in result]
    assert scores, result
    assert all(0.0 <= s <= 1.0 for s in scores), scores
    assert scores == sorted(scores, reverse=True), scores  # Personalize sorts by descending score
    assert sum(scores) <= 1.0 + 1e-6, scores


# -- the two maps ---------------------------------------------------------------
def test_a_softmax_gives_probabilities_that_sum_to_1_over_its_population():
    population = [2.0, -1.5, 0.3, 0.0, 7.25]
    scale = Softmax(population, temperature=0.5)

    probabilities = scale.map(population)

    assert math.isclose(sum(probabilities), 1.0)
    expected = [math.exp(x / 0.5) for x in population]
    assert probabilities == pytest.approx([e / sum(expected) for e in expected])


def test_a_softmax_keeps_order_and_never_ties_distinct_scores():
    raw = [0.9, 0.5, 0.49, -0.3, -2.0]
    probabilities = Softmax(raw + [0.0] * 1000, temperature=0.2).map(raw)

    assert probabilities == sorted(probabilities, reverse=True)
    assert len(set(probabilities)) == len(raw)


def test_a_share_divides_by_the_sources_total_or_the_lists_own_sum():
    assert Share(10.0, 5).map([4.0, 1.0, -2.0]) == [0.4, 0.1, 0.0]
    # A list topped up from another source can hold more than the total.
    assert Share(1.0, 5).map([3.0, 1.0]) == [0.75, 0.25]
    assert Share.of([0.0, 0.0, 0.0, 0.0]).map([0.0, 0.0]) == [0.25, 0.25]  # nothing to share: alike


def test_a_shown_score_keeps_six_significant_digits():
    assert shown(0.000012345678) == 0.0000123457
    assert shown(0.5) == 0.5


# -- every use case ---------------------------------------------------------------
@pytest.mark.parametrize("exploration", [0.0, 0.3])
def test_every_use_case_scores_within_0_and_1_non_increasing(exploration):
    backend = make_backend(exploration_weight=exploration)
    client = make_client(backend)
    fill(client)
    backend.train()
    for user in USERS:
        for use_case in ("recommended_for_you", "best_sellers", "most_viewed"):
            assert_on_the_scale(client.recommend(use_case, user_id=user, num_results=25))
    for item in ITEMS:
        for use_case in ("also_viewed", "bought_together"):
            assert_on_the_scale(client.recommend(use_case, item_id=item, user_id="u1", num_results=25))
    backend.close()


def test_most_viewed_scores_are_shares_of_the_decayed_views(client, backend):
    result = client.recommend("most_viewed", num_results=120)

    popularity = backend.engine.model.popularity["most_viewed"]
    index = backend.engine.model.item_index
    top = result.items[0]
    assert top.score == pytest.approx(popularity[index[top.item_id]] / popularity.sum(), rel=1e-5)
    assert sum(rec.score for rec in result) == pytest.approx(1.0, abs=1e-4)  # the whole catalogue


def test_recommended_for_you_scores_are_probabilities_over_the_whole_catalogue(client):
    result = client.recommend("recommended_for_you", user_id="u3", num_results=5)

    assert result.source == "model"
    assert_on_the_scale(result)
    # Five of 120 items hold part of the mass, not all of it.
    assert sum(rec.score for rec in result) < 1.0


def test_a_ranking_sums_to_1_over_the_input_list_and_an_unseen_item_scores_0(client):
    for user in USERS:
        result = client.rank(user, ITEMS)

        scores = {rec.item_id: rec.score for rec in result}
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert scores["not-in-the-catalogue"] == 0.0
        assert result.item_ids[-1] == "not-in-the-catalogue"
        assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_a_filtered_ranking_still_sums_to_1_over_what_it_returns():
    backend = make_backend()
    client = make_client(backend, filters={"c0": 'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("c0")'})
    fill(client)
    backend.train()

    result = client.rank("u3", [f"i{n}" for n in range(12)], filter="c0")

    assert set(result.item_ids) == {"i0", "i4", "i8"}
    assert sum(rec.score for rec in result) == pytest.approx(1.0, abs=1e-5)
    backend.close()


def test_a_ranking_of_one_item_scores_1(client):
    assert [rec.score for rec in client.rank("u3", ["i5"])] == [1.0]


def test_a_cold_ranking_sums_to_1_too(backend):
    client = make_client(backend)
    client.put_items(shop.items())

    result = client.rank("anyone", ["i1", "i2", "i3"])  # no events at all: every item alike

    assert result.source == "fallback"
    assert [rec.score for rec in result] == pytest.approx([1 / 3] * 3, abs=1e-6)
