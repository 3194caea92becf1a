"""Customers who viewed X also viewed, and frequently bought together.

Both count pairs of items that share a "basket": a session (the default) or
a user's whole history (``basket="user"``). Long baskets keep only their
latest ``max_basket_size`` items, so one bot session does not weigh more than
a thousand shoppers.

*Also viewed* scores a pair by an asymmetric cosine,
``c(i, j) / (n(i) ** (1 - a) * n(j) ** a)`` with ``a = also_viewed_normalisation``,
times a shrinkage ``c / (c + 2)`` against pairs seen once: with ``a = 0``
best sellers follow every item; with ``a = 0.5`` (cosine) they must earn it.

Pair counts are built in blocks of rows (about ``training_block_size`` pairs
each) that keep only each row's best neighbours: the full items x items
count matrix of a large catalogue never exists at once.

*Bought together* counts pairs the same way, over purchases only, and
scores them as complements: see :mod:`.complements`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ._deps import np, sp
from .config import EngineConfig
from .interactions import Interactions


def top_k_rows(matrix: Any, k: int) -> Any:
    """Keep the ``k`` largest entries of each row of a sparse matrix (CSR, float32).

    Ties keep the entries stored first. Only the rows longer than ``k`` are
    sorted (most rows of a long-tailed catalogue are shorter)."""
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    csr.eliminate_zeros()
    if csr.nnz == 0:
        return csr
    counts = np.diff(csr.indptr)
    if counts.max() <= k:
        csr.sort_indices()
        return csr
    rows = np.repeat(np.arange(csr.shape[0], dtype=np.int32), counts)
    crowded = np.flatnonzero((counts > k)[rows])
    # Sort the crowded rows' entries by row, then by descending value (stable:
    # ties keep their storage order); rank within the row = position - row start.
    # One stable sort of a 64-bit key (row, then the value's bits flipped so
    # that they sort descending) is several times faster than a lexsort.
    bits = csr.data[crowded].view(np.uint32)
    ascending = bits ^ np.where(bits >> 31, np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    key = (rows[crowded].astype(np.uint64) << np.uint64(32)) | (~ascending).astype(np.uint64)
    order = crowded[np.argsort(key, kind="stable")]
    del bits, ascending, key
    starts = np.cumsum(np.r_[0, counts[counts > k]])[:-1]
    rank = np.arange(len(order)) - np.repeat(starts, counts[counts > k])
    keep = np.ones(csr.nnz, dtype=bool)
    keep[order[rank >= k]] = False
    pruned = sp.csr_matrix(
        (csr.data[keep], csr.indices[keep], np.r_[0, np.cumsum(np.minimum(counts, k))]),
        shape=csr.shape, dtype=np.float32,
    )
    pruned.sort_indices()
    return pruned


def row_blocks(work: Any, budget: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` ranges of rows whose summed ``work`` stays within
    ``budget`` (a row over budget is a block of its own)."""
    total = np.cumsum(np.asarray(work, dtype=np.int64))
    start, n = 0, len(total)
    while start < n:
        done = int(total[start - 1]) if start else 0
        stop = min(n, max(start + 1, int(np.searchsorted(total, done + budget, side="right"))))
        yield start, stop
        start = stop


def top_k_products(left: Any, right: Any, k: int, budget: int, score: Callable[[Any, Any, Any], Any]) -> Any:
    """The ``k`` best entries per row of ``score(rows, cols, values)`` over the
    off-diagonal entries of ``left @ right`` (CSR float32), computed in blocks
    of rows of about ``budget`` products each, so that the full product (items
    x items pair counts for a large catalogue) never exists at once. Each row
    is whole in one block, so the result is that of the unblocked computation."""
    left, right = sp.csr_matrix(left), sp.csr_matrix(right)
    n_rows, n_cols = left.shape[0], right.shape[1]
    # Upper bound of each output row's entries: the summed lengths of the right rows it meets.
    ones = sp.csr_matrix((np.ones(left.nnz, dtype=np.float64), left.indices, left.indptr), shape=left.shape)
    work = ones @ np.diff(right.indptr).astype(np.float64)
    data, indices, lengths = [], [], [np.zeros(1, dtype=np.int64)]
    for start, stop in row_blocks(work, budget):
        block = (left[start:stop] @ right).tocsr()
        block.sort_indices()
        rows = np.repeat(np.arange(start, stop, dtype=np.int32), np.diff(block.indptr))
        off = block.indices != rows
        rows, cols = rows[off], block.indices[off]
        values = np.asarray(score(rows, cols, block.data[off]), dtype=np.float32)
        local = sp.csr_matrix(
            (values, cols, np.r_[0, np.cumsum(np.bincount(rows - start, minlength=stop - start))]),
            shape=(stop - start, n_cols),
        )
        del block, rows, cols, values, off
        local = top_k_rows(local, k)
        data.append(local.data)
        indices.append(local.indices)
        lengths.append(np.diff(local.indptr).astype(np.int64))
    if n_rows == 0:
        return sp.csr_matrix((n_rows, n_cols), dtype=np.float32)
    result = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.cumsum(np.concatenate(lengths))),
        shape=(n_rows, n_cols), dtype=np.float32,
    )
    result.has_sorted_indices = True
    return result


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
    # Baskets are binary: an item's basket count is its column's length.
    counts = np.bincount(baskets.indices, minlength=data.n_items).astype(np.float64)
    a = config.also_viewed_normalisation

    def score(rows: Any, cols: Any, c: Any) -> Any:
        c = c.astype(np.float64)
        return c / (np.power(counts[rows], 1 - a) * np.power(counts[cols], a)) * (c / (c + 2.0))

    return top_k_products(baskets.T.tocsr(), baskets, config.neighbours, config.training_block_size, score)


def neighbours(matrix: Any, index: int) -> tuple[Any, Any]:
    """(item indices, scores) of row ``index``, best first."""
    start, end = matrix.indptr[index], matrix.indptr[index + 1]
    cols, vals = matrix.indices[start:end], matrix.data[start:end]
    order = np.argsort(-vals, kind="stable")
    return cols[order], vals[order]
