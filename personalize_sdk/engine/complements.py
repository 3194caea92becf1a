"""Frequently bought together: complements, not substitutes.

A shopper who compares three baking trays and buys one, or buys two sizes of
tray, has bought *substitutes*; a tray with oven mitts is a *complement*.
Raw co-purchase counts mix both, and so does "also viewed" (a shopper views
the trays they choose between). So a co-purchase of ``X`` and ``Y`` (in one basket: a session, or a user
with ``basket="user"``) is scored

    ``lift * c / (c + 1) * family``

* ``lift = c * N / (n(X) * n(Y))``, ``c`` the baskets that bought both, ``N``
  all baskets with a purchase (``c / (c + 1)`` damps pairs seen once);
* ``family``: ``bought_together_substitute_penalty`` (0.1) when both share
  their most specific category (CATEGORY_L3, else L2, else L1), else 1;
* pairs bought together fewer than ``bought_together_min_support`` times
  rank after every pair that has it, but still count as co-purchase evidence.

For a list the item's own co-purchases cannot fill, :func:`family_affinity`
gives the lift between whole families (trays and mitts are bought together
even when this tray is new), so the top-up is complementary too.
"""

from __future__ import annotations

from typing import Any

from ._deps import np, sp
from .config import EngineConfig
from .cooccurrence import pair_counts, basket_matrix, top_k_rows
from .interactions import Interactions, first_category

#: the category levels, most specific first
FAMILY_LEVELS = ("CATEGORY_L3", "CATEGORY_L2", "CATEGORY_L1")
#: beyond this many families, no family x family matrix (it is dense)
MAX_FAMILIES = 3000
#: pairs under the minimum support rank below every pair that has it
THIN_SUPPORT = 1e-3


def families(item_properties: list[dict]) -> Any:
    """Each item's family (int32, -1 for none): its category path down to the
    most specific level it has (two shops' "Accessories" stay apart)."""
    names: dict[str, int] = {}
    family = np.full(len(item_properties), -1, dtype=np.int32)
    for i, props in enumerate(item_properties):
        path = [first_category(props.get(level)) for level in reversed(FAMILY_LEVELS)]
        while path and path[-1] is None:
            path.pop()
        if path:
            family[i] = names.setdefault("/".join(p or "" for p in path), len(names))
    return family


def bought_together(data: Interactions, config: EngineConfig, family: Any) -> Any:
    """Item x item complement scores of co-purchases (CSR, ``neighbours`` per row)."""
    baskets = basket_matrix(data, data.type_mask(config.purchase_event_type), config)
    pairs, counts = pair_counts(baskets)
    if pairs.nnz == 0:
        return sp.csr_matrix((data.n_items, data.n_items), dtype=np.float32)
    coo = pairs.tocoo()
    rows, cols, c = coo.row, coo.col, coo.data.astype(np.float64)
    lift = c * baskets.shape[0] / (counts[rows] * counts[cols])
    score = lift * (c / (c + 1.0))
    same = (family[rows] >= 0) & (family[rows] == family[cols])
    score = np.where(same, score * config.bought_together_substitute_penalty, score)
    score = np.where(c >= config.bought_together_min_support, score, score * THIN_SUPPORT)
    # Among equal scores, the pair seen more often comes first.
    score = score * (1.0 + 1e-3 * np.log1p(c))
    matrix = sp.csr_matrix((score.astype(np.float32), (rows, cols)), shape=pairs.shape)
    return top_k_rows(matrix, config.neighbours)


def family_affinity(data: Interactions, config: EngineConfig, family: Any) -> Any | None:
    """Family x family lift of co-purchases (dense float32, zero diagonal), or
    ``None`` without families (or with too many for a dense matrix)."""
    n_families = int(family.max()) + 1 if len(family) else 0
    if n_families < 2 or n_families > MAX_FAMILIES:
        return None
    baskets = basket_matrix(data, data.type_mask(config.purchase_event_type), config)
    if baskets.shape[0] == 0:
        return None
    known = family >= 0
    onehot = sp.csr_matrix((np.ones(int(known.sum()), dtype=np.float32),
                            (np.flatnonzero(known), family[known])), shape=(data.n_items, n_families))
    by_family = (baskets @ onehot).tocsr()
    by_family.data[:] = 1.0
    co = (by_family.T @ by_family).toarray().astype(np.float64)
    counts = np.diag(co).copy()
    np.fill_diagonal(co, 0.0)
    safe = np.where(counts > 0, counts, 1.0)
    lift = co * baskets.shape[0] / np.outer(safe, safe)
    # Pairs of families bought together only once are noise, not a pattern.
    lift[co < config.bought_together_min_support] = 0.0
    return lift.astype(np.float32)
