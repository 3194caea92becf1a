"""Serving from candidates: a request reads only the items it can show.

Recommended for you scores the items the history's rows reach (item-kNN) and
tops up from the popularity order; popular, category and young items come
in orders built at training. These tests hold those pieces to what a score
over the whole catalogue gives.
"""

from __future__ import annotations

import dataclasses

import pytest

from personalize_sdk.engine._deps import np
from personalize_sdk.engine.filtering import Allowed
from personalize_sdk.engine.popularity import grouped
from personalize_sdk.engine.scales import Softmax
from personalize_sdk.engine.scoring import Scorer, Sparse, history_scores
from personalize_sdk.use_cases import RecommendationRequest

from . import shop
from .conftest import fill, make_backend, make_client

pytest.importorskip("personalize_sdk.filters.evaluate")

FILTERS = {
    # only the young items, created late with no events: the end of every popularity order
    "last": "INCLUDE ItemID WHERE Items.PRICE >= 125",
    # the young items but three
    "most_young": "INCLUDE ItemID WHERE Items.PRICE < 127",
}
LAST = {f"i{i}" for i in range(115, 120)}


@pytest.fixture(params=[{}, {"ease_max_items": 0}], ids=["ease", "knn"])
def shop_client(request):
    backend = make_backend(**request.param)
    client = make_client(backend, filters=FILTERS)
    fill(client)
    backend.train()
    yield backend, client
    client.close()


@pytest.fixture
def knn():
    backend = make_backend(ease_max_items=0)
    client = make_client(backend)
    fill(client)
    backend.train()
    yield backend
    client.close()


def _history_scores(backend, user_id):
    engine = backend.engine
    return engine.scorer._personal_scores(engine.model, engine.scorer._history(user_id))


@pytest.mark.parametrize("use_case, kw", [
    ("recommended_for_you", {"user_id": "u1"}),
    ("best_sellers", {}),
    ("most_viewed", {}),
    ("also_viewed", {"item_id": "i40"}),
    ("bought_together", {"item_id": "i40"}),
])
def test_a_filter_allowing_only_the_last_items_of_the_popularity_order_still_returns_them(shop_client, use_case, kw):
    _backend, client = shop_client
    result = client.recommend(use_case, num_results=5, filter="last", **kw)
    assert set(result.item_ids) == LAST


def test_exploration_picks_only_allowed_young_items(shop_client):
    backend, client = shop_client
    backend.engine.scorer.config = dataclasses.replace(backend.engine.config, exploration_weight=0.5)
    allowed_young = {f"i{i}" for i in shop.YOUNG} - {"i117", "i118", "i119"}
    explored = set()
    for user in range(0, 80, 5):
        result = client.recommend("recommended_for_you", user_id=f"u{user}", num_results=10, filter="most_young")
        assert len(result) == 10
        explored |= {r.item_id for r in result if "Exploration" in r.reason}
    assert explored and explored <= allowed_young


def test_knn_scores_are_the_dense_scores_at_the_items_the_history_reaches(knn):
    model = knn.engine.model
    history = [model.item_index[f"i{i}"] for i in (40, 44, 48, 41)]
    weights, recency = [1.0, 1.0, 4.0, 1.0], [1.0, 0.9, 0.5, 0.5]
    sparse = history_scores(model.personal, history, weights, recency, model.n_items)
    dense = model.personal.score(history, weights, recency)
    assert isinstance(sparse, Sparse) and len(sparse.index) < model.n_items
    assert np.array_equal(sparse.dense(), dense)
    assert sparse.at(int(sparse.index[0])) == float(dense[sparse.index[0]])
    outside = np.setdiff1d(np.arange(model.n_items), sparse.index)
    assert sparse.at(int(outside[0])) == 0.0


def test_a_user_whose_candidates_are_all_excluded_gets_a_full_list_from_the_popularity_order(knn):
    model = knn.engine.model
    scores = _history_scores(knn, "u1")
    allowed = Allowed(model.n_items).without(scores.index)
    best = Scorer._best(model, scores, allowed, 10)
    assert len(best) == 10 and all(score == 0.0 for _i, score in best)
    others = np.setdiff1d(np.arange(model.n_items), scores.index)
    by_popularity = others[np.lexsort((others, -model.popularity["all"][others]))]
    assert [i for i, _s in best] == list(by_popularity[:10])


def test_a_short_candidate_list_is_topped_up_in_the_order_a_dense_ranking_gives(knn):
    model = knn.engine.model
    scores = _history_scores(knn, "u1")
    n = len(scores.index) + 5
    best = Scorer._best(model, scores, Allowed(model.n_items), n)
    dense = scores.dense()
    every = np.arange(model.n_items)
    expected = every[np.lexsort((every, -model.popularity["all"], -dense))][:n]
    assert [i for i, _s in best] == list(expected)
    assert [s for _i, s in best] == [float(dense[i]) for i in expected]


def test_the_softmax_of_sparse_scores_is_the_softmax_over_the_catalogue():
    values = np.array([2.0, 0.5, -0.3])
    dense = np.concatenate((values, np.zeros(997)))
    sparse, full = Softmax.sparse(values, 1000, 0.2), Softmax(dense, 0.2)
    assert sparse.peak == full.peak and sparse.total == pytest.approx(full.total, rel=1e-12)
    assert sparse.map([2.0, 0.0]) == pytest.approx(full.map([2.0, 0.0]), rel=1e-12)
    # every score below 0: the unscored items hold the peak
    negative = Softmax.sparse(np.array([-1.0]), 10, 0.5)
    assert negative.peak == 0.0 and negative.total == pytest.approx(9 + np.exp(-2.0))


def test_allowed_walks_an_order_as_far_as_its_filter_needs():
    mask = np.zeros(5000, dtype=bool)
    mask[[4997, 12, 4999]] = True
    order = np.arange(5000)[::-1]
    allowed = Allowed(5000, mask, excluded=[4999])
    assert list(allowed.first(order, 5)) == [4997, 12]
    assert list(allowed.first(order, 1)) == [4997]
    assert list(Allowed(5000).first(order, 3, keep=lambda c: c % 2 == 0)) == [4998, 4996, 4994]
    assert list(allowed.test([12, 4999, 3])) == [True, False, False]
    assert 4997 in allowed and 4999 not in allowed
    assert allowed.dense().sum() == 2


def test_grouped_keeps_the_order_within_each_group():
    labels = np.array([1, 0, -1, 1, 0, 2])
    indices, bounds = grouped([5, 3, 2, 1, 0, 4], labels, 3)
    assert [list(indices[bounds[g]:bounds[g + 1]]) for g in range(3)] == [[1, 4], [3, 0], [5]]


def test_a_model_pickled_before_the_serving_indexes_answers_the_same(shop_client):
    backend, _client = shop_client
    engine = backend.engine
    model = engine.model
    older = dataclasses.replace(model, serving=None, cache={})
    for use_case, kw in (("recommended_for_you", {"user_id": "u3"}), ("best_sellers", {}),
                         ("also_viewed", {"item_id": "i41"}), ("bought_together", {"item_id": "i7"})):
        for options in ({}, {"filter": "most_young"}):
            request = RecommendationRequest(use_case, num_results=10, **kw, **options)
            new, old = engine.scorer.recommend(model, request), engine.scorer.recommend(older, request)
            assert new.item_ids == old.item_ids
            assert [r.score for r in new] == [r.score for r in old]
    assert older.serving is None and ("order", "all") in older.cache

