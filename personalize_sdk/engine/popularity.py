"""Best sellers and most viewed: popularity over a recent window, with time decay.

An event counts ``weight * 0.5 ** (age / half_life)``, where ``age`` is
measured back from the latest event in the data (not the wall clock: a shop
that was quiet for a week still has best sellers, and so does a replayed
data set). Events older than the window do not count at all.
"""

from __future__ import annotations

from typing import Any

from ._deps import np
from .config import EngineConfig
from .interactions import Interactions

DAY = 86400.0


def decayed_counts(data: Interactions, mask: Any, config: EngineConfig, reference: float) -> Any:
    """Time-decayed, windowed, weighted event counts per item, over events where ``mask``."""
    scores = np.zeros(data.n_items, dtype=np.float64)
    if not len(data.item):
        return scores
    age_days = (reference - data.ts) / DAY
    keep = mask & (age_days <= config.popularity_window_days)
    decay = np.power(0.5, np.clip(age_days[keep], 0, None) / config.popularity_half_life_days)
    np.add.at(scores, data.item[keep], data.weight[keep] * decay)
    return scores


def popularity_scores(data: Interactions, config: EngineConfig, reference: float) -> dict[str, Any]:
    """The popularity vectors the use cases and fallbacks need.

    ``best_sellers`` and ``most_viewed`` count Purchase and View events;
    ``all`` counts every event by its weight and is the fallback order (and
    the cold-start order when there are no purchases yet). Ties are broken by
    all-time counts, so a catalogue with a quiet month still has an order.
    """
    everything = np.ones(len(data.item), dtype=bool)
    all_time = np.bincount(data.item, weights=data.weight, minlength=data.n_items) if len(data.item) else np.zeros(
        data.n_items
    )
    # A tiny all-time term breaks ties and ranks items outside the window.
    tie = all_time / (all_time.max() + 1.0) * 1e-6 if len(all_time) else all_time
    return {
        "best_sellers": decayed_counts(data, data.type_mask(config.purchase_event_type), config, reference) + tie,
        "most_viewed": decayed_counts(data, data.type_mask(config.view_event_type), config, reference) + tie,
        "all": decayed_counts(data, everything, config, reference) + tie,
    }


def ranked(scores: Any, limit: int | None = None) -> Any:
    """Item indices by descending score (only items with a positive score)."""
    positive = np.flatnonzero(scores > 0)
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return order if limit is None else order[:limit]
