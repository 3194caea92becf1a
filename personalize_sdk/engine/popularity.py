"""Best sellers and most viewed: popularity over a recent window, with time decay.

An event counts ``weight * 0.5 ** (age / half_life)``, where ``age`` is
measured back from the latest event in the data (not the wall clock: a shop
that was quiet for a week still has best sellers, and so does a replayed
data set). Events older than the window do not count at all.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

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


def order(scores: Any, tie: Any) -> Any:
    """Every item index by descending ``scores``, ties by descending ``tie``,
    then catalogue order: the order a request walks to take its first allowed
    items (computed once per model, so a request never sorts the catalogue)."""
    return np.lexsort((np.arange(len(scores)), -np.asarray(tie), -np.asarray(scores)))


def grouped(members: Any, labels: Any, n_groups: int) -> tuple[Any, Any]:
    """``members`` (item indices) grouped by ``labels[member]``, each group in
    the order of ``members``; items labelled -1 belong to none. Returns the
    grouped indices and the bounds: group ``g`` is ``indices[bounds[g]:bounds[g + 1]]``."""
    members = np.asarray(members, dtype=np.intp)
    members = members[labels[members] >= 0]
    group = labels[members]
    indices = members[np.argsort(group, kind="stable")]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(group, minlength=n_groups)))).astype(np.intp)
    return indices, bounds


def top_among(idx: Any, values: Any, n: int, tie: Any) -> list[tuple[int, float]]:
    """The best ``n`` of the items ``idx`` by ``values``, ties by ``tie`` then catalogue order."""
    if not len(idx) or n <= 0:
        return []
    if n < len(idx):
        # Partition first, so the sort only touches the few items that can
        # make the cut (all those tied with the n-th best included).
        kth = np.partition(values, len(values) - n)[len(values) - n]
        keep = values >= kth
        if int(keep.sum()) <= 50 * n:
            idx, values = idx[keep], values[keep]
    order = np.lexsort((idx, -tie[idx], -values))[:n]
    return [(int(i), float(v)) for i, v in zip(idx[order], values[order])]


def ranked(scores: Any, limit: int | None = None) -> Any:
    """Item indices by descending score (only items with a positive score)."""
    positive = np.flatnonzero(scores > 0)
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return order if limit is None else order[:limit]


class StoredCounts:
    """Weighted event counts per item over every stored event: popularity
    before any model exists.

    Until the first training there are no popularity vectors, yet the events
    are stored; these counts (by the event types' weights, without time
    decay) are kept up to date by reading only the events stored since the
    last look, so serving a fallback costs no more than the new events.
    """

    def __init__(self, store: Any, config: EngineConfig) -> None:
        self.store = store
        self.config = config
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._seq = 0
        self._counts: dict[str, dict[str, int]] = {}
        #: item events counted
        self.events = 0
        self._new_items = False

    def reset(self) -> None:
        """Forget the counts (after events were deleted); the next refresh recounts."""
        with self._lock:
            self._clear()

    def refresh(self) -> bool:
        """Count the events stored since the last call; return whether an
        item id never counted before appeared."""
        with self._lock:
            last, rows = self.store.item_counts_since(self._seq)
            self._seq = last
            for item_id, event_type, count in rows:
                per_type = self._counts.get(item_id)
                if per_type is None:
                    per_type = self._counts[item_id] = {}
                    self._new_items = True
                per_type[event_type] = per_type.get(event_type, 0) + count
                self.events += count
            new, self._new_items = self._new_items, False
            return new

    def item_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._counts)

    def vector(self, item_ids: Sequence[str], event_type: str | None = None) -> Any:
        """Counts over ``item_ids``: of one ``event_type``, or of every type by its weight."""
        scores = np.zeros(len(item_ids), dtype=np.float64)
        with self._lock:
            for index, item_id in enumerate(item_ids):
                per_type = self._counts.get(item_id)
                if not per_type:
                    continue
                if event_type is None:
                    scores[index] = sum(self.config.weight(t) * c for t, c in per_type.items())
                else:
                    scores[index] = per_type.get(event_type, 0)
        return scores
