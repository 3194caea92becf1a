"""The recommended-for-you scorer: how a history's events are weighted; item-kNN in blocks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from personalize_sdk import ConfigurationError
from personalize_sdk.engine.config import EngineConfig
from personalize_sdk.engine.personal import PersonalModel, item_knn


def model(history_floor: float, transition_weight: float = 0.0) -> PersonalModel:
    # Item 0 points strongly at item 4; items 1, 2 and 3 each point weakly at item 5.
    similarity = np.zeros((6, 6), dtype=np.float32)
    similarity[0, 4] = 5.0
    similarity[[1, 2, 3], 5] = 1.0
    transition = sp.csr_matrix(([1.0], ([1], [3])), shape=(6, 6), dtype=np.float32)
    return PersonalModel(similarity=similarity, transition=transition, history_decay=0.5,
                         transition_decay=0.5, transition_weight=transition_weight,
                         history_floor=history_floor)


HISTORY = [1, 2, 3, 0]   # most recent first: item 0 is the oldest event


def test_without_a_floor_recent_events_dominate():
    scores = model(history_floor=0.0).score(HISTORY, [1.0] * 4)
    assert scores[5] > scores[4]


def test_a_floor_keeps_an_old_event_in_the_score():
    scores = model(history_floor=1.0).score(HISTORY, [1.0] * 4)
    assert scores[4] > scores[5]


def test_the_floor_scales_with_the_event_type_weight():
    # The oldest event is a purchase (weight 4): with the floor it counts four times more.
    light = model(history_floor=0.2).score(HISTORY, [1.0] * 4)
    heavy = model(history_floor=0.2).score(HISTORY, [1.0, 1.0, 1.0, 4.0])
    assert light[5] > light[4]
    assert heavy[4] > heavy[5]


def test_the_transition_part_ignores_the_floor():
    # Only what the latest events lead to: the floor is for the similarity part.
    a = model(history_floor=0.0, transition_weight=1.0).score(HISTORY, [1.0] * 4)
    b = model(history_floor=5.0, transition_weight=1.0).score(HISTORY, [1.0] * 4)
    np.testing.assert_allclose(a, b)


def test_models_pickled_before_the_floor_existed_score_as_before():
    old = model(history_floor=0.0)
    del old.__dict__["history_floor"]   # what unpickling an older model gives
    np.testing.assert_allclose(old.score(HISTORY, [1.0] * 4), model(0.0).score(HISTORY, [1.0] * 4))


def test_a_negative_floor_is_refused():
    with pytest.raises(ConfigurationError, match="history_floor"):
        EngineConfig(history_floor=-0.1)


# -- item-kNN, built in blocks of items ------------------------------------------
def _user_items(seed: int = 3) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((300, 80)) < 0.08).astype(np.float32)
    dense[:, 7] = 0.0  # an item nobody used
    return sp.csr_matrix(dense)


def test_item_knn_in_blocks_equals_the_whole_gram_computation():
    x = _user_items()
    whole = item_knn(x, 10, block_size=10**9)
    for block in (1, 25, 400):
        part = item_knn(x, 10, block_size=block)
        assert np.array_equal(part.indptr, whole.indptr) and np.array_equal(part.indices, whole.indices)
        assert np.array_equal(part.data, whole.data)
    assert np.diff(whole.indptr).max() == 10 and whole.dtype == np.float32


def test_item_knn_is_the_cosine_of_items_without_the_diagonal():
    x = _user_items()
    dense = x.toarray().astype(np.float64)
    gram = dense.T @ dense
    norms = np.sqrt(np.diag(gram))
    norms[norms == 0] = 1.0
    cosine = gram / np.outer(norms, norms)
    np.fill_diagonal(cosine, 0.0)
    np.testing.assert_allclose(item_knn(x, 80, block_size=30).toarray(), cosine, rtol=1e-6)
    # with k neighbours, each row keeps its k largest cosines
    top = item_knn(x, 5, block_size=30)
    for row in range(0, 80, 9):
        np.testing.assert_allclose(np.sort(top[row].data)[::-1], np.sort(cosine[row])[::-1][:5], rtol=1e-6)


def test_the_training_block_size_must_be_positive():
    with pytest.raises(ConfigurationError, match="training_block_size"):
        EngineConfig(training_block_size=0)
