"""Recommended for you: a sequence-aware item-to-item model scored at request time.

Two item x item matrices are learned at training time:

* **similarity**: EASE (Steck, 2019: a closed-form ridge regression of each
  item on all the others) for catalogues of up to ``ease_max_items`` items,
  and a sparse cosine item-kNN beyond, where a dense n x n matrix would not fit
  (built in blocks of items, keeping each item's best neighbours: its memory
  is bounded by ``training_block_size``, never by the catalogue squared);
* **transition**: what users did *next*: counts of consecutive item pairs in
  each user's time-ordered history (pairs two steps apart count half),
  row-normalised into next-item probabilities and damped toward less popular
  targets. Plain EASE ignores order; what a shopper did last says most about
  what they do next.

A request reads the user's latest ``history_length`` events from the store and
sums the matrices' rows of those items. In the similarity part the k-th most
recent event weighs ``history_floor + decay ** k`` (times its event type's
weight): the floor keeps the whole profile in the score, as EASE uses it,
while the decayed term lifts what the user did last. The transition part is
about what comes next, so it uses the decay alone. Nothing is cached per user,
so an event recorded now changes the next answer without retraining.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ._deps import np, sp
from .config import EngineConfig
from .cooccurrence import top_k_products, top_k_rows
from .interactions import Interactions


@dataclass
class PersonalModel:
    """The matrices of :mod:`personal`, and how to score with them."""

    similarity: Any           # dense float32 n x n (EASE) or CSR (kNN)
    transition: Any           # CSR float32 n x n
    history_decay: float
    transition_decay: float
    transition_weight: float
    #: weight every history event keeps in the similarity part, however old
    #: (0 in models pickled before it existed: their behaviour is unchanged)
    history_floor: float = 0.0

    @property
    def kind(self) -> str:
        return "ease" if isinstance(self.similarity, np.ndarray) else "knn"

    def score(self, items: Sequence[int], weights: Sequence[float], recency: Sequence[float] | None = None) -> Any:
        """Scores over the catalogue for a history of item indices, most recent
        first, with a weight per event (its event type's weight) and a recency
        factor per event (1 for the latest; see ``history_half_life_days``)."""
        n = self.transition.shape[0]
        items = np.asarray(items, dtype=np.int64)
        if not len(items):
            return np.zeros(n, dtype=np.float32)
        weights = np.asarray(weights, dtype=np.float32)
        position = np.arange(len(items), dtype=np.float32)
        if recency is None:
            recency = np.ones(len(items), dtype=np.float32)
        recency = np.asarray(recency, dtype=np.float32)
        total = np.zeros(n, dtype=np.float32)
        # Event-type weights shape the similarity part (a purchase says more about
        # taste); the transition part is about what comes next, so only recency counts.
        # The floor keeps old events in the similarity part: a taste to predict can
        # sit anywhere in a long profile, not only at its end.
        for matrix, decay, share, type_weight, floor in (
            (self.similarity, self.history_decay, 1.0 - self.transition_weight, weights, self.history_floor),
            (self.transition, self.transition_decay, self.transition_weight, np.ones_like(weights), 0.0),
        ):
            if share <= 0:
                continue
            w = type_weight * recency * (floor + np.power(decay, position))
            keep = w > 1e-4
            part = _weighted_rows(matrix, items[keep], w[keep])
            peak = float(np.abs(part).max()) if len(part) else 0.0
            if peak > 0:
                total += (share / peak) * part
        return total


def _weighted_rows(matrix: Any, rows: Any, weights: Any) -> Any:
    if isinstance(matrix, np.ndarray):
        return weights @ matrix[rows]
    return np.asarray(matrix[rows].T @ weights).ravel().astype(np.float32)


def user_item_matrix(data: Interactions, config: EngineConfig) -> Any:
    """Binary users x items matrix of every item event."""
    matrix = sp.csr_matrix(
        (np.ones(len(data.item), dtype=np.float32), (data.user, data.item)),
        shape=(data.n_users, data.n_items),
    )
    matrix.data[:] = 1.0
    return matrix


def ease(x: Any, lam: float) -> Any:
    """EASE's item x item weight matrix (dense float32, zero diagonal)."""
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    inverse = np.linalg.inv(gram)
    weights = inverse / (-np.diag(inverse))
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)


def item_knn(x: Any, k: int, block_size: int = 4_000_000) -> Any:
    """Cosine item x item similarity, ``k`` neighbours per item (CSR), built in
    blocks of items of about ``block_size`` pairs (never the full gram matrix)."""
    # x is binary: an item's squared norm is its number of users.
    norms = np.sqrt(np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64))
    norms[norms == 0] = 1.0

    def cosine(rows: Any, cols: Any, dot: Any) -> Any:
        return dot / (norms[rows] * norms[cols])

    return top_k_products(x.T.tocsr(), x, k, block_size, cosine)


def transitions(data: Interactions, config: EngineConfig) -> Any:
    """Next-item probabilities (CSR), damped toward less popular targets."""
    n = data.n_items
    rows, cols, vals = [], [], []
    for gap, weight in ((1, 1.0), (2, 0.5)):
        if len(data.item) <= gap:
            continue
        same_user = data.user[gap:] == data.user[:-gap]
        different = data.item[gap:] != data.item[:-gap]
        keep = same_user & different
        rows.append(data.item[:-gap][keep])
        cols.append(data.item[gap:][keep])
        vals.append(np.full(int(keep.sum()), weight, dtype=np.float32))
    if not rows or not sum(len(r) for r in rows):
        return sp.csr_matrix((n, n), dtype=np.float32)
    counts = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    counts.sum_duplicates()
    out = np.asarray(counts.sum(axis=1)).ravel()
    incoming = np.asarray(counts.sum(axis=0)).ravel()
    coo = counts.tocoo()
    prob = coo.data / out[coo.row]
    damp = np.power(np.maximum(incoming[coo.col], 1.0), config.transition_popularity_damping)
    matrix = sp.csr_matrix(((prob / damp).astype(np.float32), (coo.row, coo.col)), shape=(n, n))
    return top_k_rows(matrix, max(config.neighbours, 200))


def build(data: Interactions, config: EngineConfig) -> PersonalModel:
    x = user_item_matrix(data, config)
    if data.n_items <= config.ease_max_items:
        similarity, share = ease(x, config.ease_lambda), config.transition_weight
    else:
        # kNN is the weaker similarity, so transitions get a larger share.
        similarity = item_knn(x, max(config.neighbours, 200), config.training_block_size)
        share = config.knn_transition_weight
    del x  # before the transitions are counted
    return PersonalModel(
        similarity=similarity,
        transition=transitions(data, config),
        history_decay=config.history_decay,
        transition_decay=config.transition_decay,
        transition_weight=share,
        history_floor=config.history_floor,
    )
