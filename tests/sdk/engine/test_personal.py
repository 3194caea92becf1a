"""The recommended-for-you scorer: how a history's events are weighted."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from personalize_sdk import ConfigurationError
from personalize_sdk.engine.config import EngineConfig
from personalize_sdk.engine.personal import PersonalModel


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
