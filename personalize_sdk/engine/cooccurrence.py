"""Customers who viewed X also viewed, and frequently bought together.

Both count pairs of items that share a "basket": a session (the default) or
a user's whole history (``basket="user"``). Long baskets keep only their
latest ``max_basket_size`` items, so one bot session does not weigh more than
a thousand shoppers.

*Also viewed* scores a pair by an asymmetric cosine,
``c(i, j) / (n(i) ** (1 - a) * n(j) ** a)`` with ``a = also_viewed_normalisation``,
times a shrinkage ``c / (c + 2)`` against pairs seen once: with ``a = 0``
best sellers follow every item; with ``a = 0.5`` (cosine) they must earn it.

*Bought together* counts pairs the same way, over purchases only, and
scores them as complements: see :mod:`.complements`.
"""

from __future__ import annotations

from typing import Any

from ._deps import np, sp
from .config import EngineConfig
from .interactions import Interactions


def top_k_rows(matrix: Any, k: int) -> Any:
    """Keep the ``k`` largest entries of each row of a sparse matrix (CSR, float32)."""
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    csr.eliminate_zeros()
    if csr.nnz == 0:
        return csr
    counts = np.diff(csr.indptr)
    if counts.max() <= k:
        csr.sort_indices()
        return csr
    rows = np.repeat(np.arange(csr.shape[0]), counts)
    # Sort by row, then by descending value; rank within the row = position - row start.
    order = np.lexsort((-csr.data, rows))
    rank = np.arange(len(order)) - csr.indptr[rows[order]]
    keep = order[rank < k]
    pruned = sp.csr_matrix((csr.data[keep], (rows[keep], csr.indices[keep])), shape=csr.shape, dtype=np.float32)
    pruned.sort_indices()
    return pruned


def basket_matrix(data: Interactions, mask: Any, config: EngineConfig) -> Any:
    """A binary baskets x items matrix of the events where ``mask``."""
    key = data.session if config.basket == "session" else data.user
    key, item, ts = key[mask], data.item[mask], data.ts[mask]
    if not len(key):
        return sp.csr_matrix((0, data.n_items), dtype=np.float32)
    # Latest events first within each basket, then cut each basket to its latest items.
    order = np.lexsort((-ts, key))
    key, item = key[order], item[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    position = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    keep = position < config.max_basket_size
    baskets = np.unique(key[keep], return_inverse=True)[1]
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (baskets, item[keep])),
        shape=(int(baskets.max()) + 1 if len(baskets) else 0, data.n_items),
    )
    matrix.data[:] = 1.0  # duplicates were summed: presence is what counts
    return matrix


def pair_counts(baskets: Any) -> tuple[Any, Any]:
    """Pair counts (items x items, zero diagonal) and per-item basket counts."""
    pairs = (baskets.T @ baskets).tocsr()
    counts = np.asarray(pairs.diagonal()).astype(np.float64)
    pairs.setdiag(0)
    pairs.eliminate_zeros()
    return pairs, counts


def also_viewed(data: Interactions, config: EngineConfig) -> Any:
    """Item x item neighbour scores (CSR, ``neighbours`` per row) from every item event."""
    baskets = basket_matrix(data, np.ones(len(data.item), dtype=bool), config)
    pairs, counts = pair_counts(baskets)
    if pairs.nnz == 0:
        return sp.csr_matrix((data.n_items, data.n_items), dtype=np.float32)
    a = config.also_viewed_normalisation
    coo = pairs.tocoo()
    c = coo.data.astype(np.float64)
    scores = c / (np.power(counts[coo.row], 1 - a) * np.power(counts[coo.col], a)) * (c / (c + 2.0))
    matrix = sp.csr_matrix((scores.astype(np.float32), (coo.row, coo.col)), shape=pairs.shape)
    return top_k_rows(matrix, config.neighbours)


def neighbours(matrix: Any, index: int) -> tuple[Any, Any]:
    """(item indices, scores) of row ``index``, best first."""
    start, end = matrix.indptr[index], matrix.indptr[index + 1]
    cols, vals = matrix.indices[start:end], matrix.data[start:end]
    order = np.argsort(-vals, kind="stable")
    return cols[order], vals[order]
