"""Frequently bought together: complements, not substitutes.

A shopper who compares three baking trays and buys one, or buys two sizes of
tray, has bought *substitutes*; a tray with oven mitts is a *complement*.
Raw co-purchase counts mix both, and so does "also viewed" (a shopper views
the trays they choose between). Raw counts also credit pairs that were only
bought *beside* each other: in a basket of a tray, its mitts and its
parchment, the mitts and the parchment were each bought for the tray, and in
a basket of two trays and the mitts of one, the other tray was a second
choice, not the mitts' partner.

So a basket (a session, or a user with ``basket="user"``) is read as one
item it was built around, its *hub*, and the items bought with it:

* the hub is each item of the basket in proportion to how well it explains
  all the others, ``prod (BACKGROUND + a(h, y))`` over the basket's other
  items ``y``, with ``a`` a pair's lift ``c * N / (n(X) * n(Y))`` shrunk
  toward 1 (``(c + PRIOR) / (E + PRIOR)``, ``E`` the pairs expected by
  chance);
* given the hub ``h``, ``y`` was bought with it with probability
  ``a(h, y) / (BACKGROUND + a(h, y))``, else by chance;
* a pair's *explained count* ``e`` sums, over its baskets, the chance that
  one of the two was bought with the other (at most 1 a basket), and the
  lifts are re-estimated from these counts, ``ROUNDS`` times.

A co-purchase of ``X`` and ``Y`` is then scored

    ``lift * e / (e + bought_together_min_support - 1) * family``

* ``lift = e * N / (n(X) * n(Y))``, ``N`` all baskets with a purchase;
  pairs explained fewer than ``bought_together_min_support`` (2) times are
  damped by the middle factor (with a minimum of 1, a single co-purchase
  counts in full);
* ``family``: ``bought_together_substitute_penalty`` (0.1) when both share
  their most specific category (CATEGORY_L3, else L2, else L1); else the
  square root of the lift of their two families bought together (shrunk
  toward 1 by one basket), so mitts that go with trays in general outrank
  parchment that went with one tray's mitts; 1 when either has no category.

Every pair bought together at least once keeps a (possibly tiny) score: it
is co-purchase evidence, and only an item with none falls back to "also
viewed". For a list the item's own co-purchases cannot fill,
:func:`family_affinity` gives the lift between whole families (trays and
mitts are bought together even when this tray is new), so the top-up is
complementary too.
"""

from __future__ import annotations

from typing import Any

from ._deps import np, sp
from .config import EngineConfig
from .cooccurrence import basket_matrix, pair_counts, top_k_rows
from .interactions import Interactions, first_category

#: the category levels, most specific first
FAMILY_LEVELS = ("CATEGORY_L3", "CATEGORY_L2", "CATEGORY_L1")
#: beyond this many families, no family x family matrix (it is dense)
MAX_FAMILIES = 3000
#: how strongly chance explains an item of a basket, in lift units (1 is independence)
BACKGROUND = 0.3
#: pseudo-count shrinking a pair's lift toward 1 while the baskets are read
PRIOR = 0.5
#: rounds of re-reading the baskets with the lifts of the previous round
ROUNDS = 8
#: beyond this many (basket, item, item) triples, plain co-purchase counts (memory)
MAX_TRIPLES = 20_000_000
#: the least score a pair bought together keeps (it stays evidence)
FLOOR = 1e-30


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


def basket_triples(baskets: Any) -> tuple[Any, Any, Any]:
    """Every ordered pair of distinct items within a basket: (basket, x, y) arrays."""
    csr = sp.csr_matrix(baskets)
    sizes = np.diff(csr.indptr)
    owner = np.repeat(np.arange(len(sizes)), sizes)   # the basket of each entry
    times = sizes[owner]                              # each entry pairs with its basket's entries
    basket = np.repeat(owner, times)
    y = np.repeat(csr.indices, times)
    offset = np.arange(len(y)) - np.repeat(np.cumsum(times) - times, times)
    x = csr.indices[csr.indptr[basket] + offset]
    distinct = x != y
    return basket[distinct], x[distinct], y[distinct]


def explained_counts(baskets: Any, counts: Any) -> tuple[Any, Any, Any, Any]:
    """Co-purchases explained by a basket's hub (see the module docstring):
    (rows, cols, explained, raw) over the ordered pairs bought together, the
    explained counts symmetric and at most the raw ones."""
    basket, x, y = basket_triples(baskets)
    n_items = baskets.shape[1]
    key = x.astype(np.int64) * n_items + y
    pair_keys, pair_of = np.unique(key, return_inverse=True)
    rows, cols = pair_keys // n_items, pair_keys % n_items
    raw = np.bincount(pair_of, minlength=len(pair_keys)).astype(np.float64)
    if len(basket) > MAX_TRIPLES:
        return rows, cols, raw, raw
    reverse = np.searchsorted(pair_keys, cols * n_items + rows)
    hub_keys, hub_of = np.unique(basket.astype(np.int64) * n_items + x, return_inverse=True)
    hub_basket = hub_keys // n_items
    expected = counts[rows] * counts[cols] / baskets.shape[0]
    explained = raw
    for _ in range(ROUNDS):
        a = ((explained + PRIOR) / (expected + PRIOR))[pair_of]
        # log of how well each item explains the rest of its basket, as a softmax within the basket
        fit = np.bincount(hub_of, weights=np.log(BACKGROUND + a), minlength=len(hub_keys))
        best = np.full(baskets.shape[0], -np.inf)
        np.maximum.at(best, hub_basket, fit)
        odds = np.exp(fit - best[hub_basket])
        hub = odds / np.bincount(hub_basket, weights=odds, minlength=baskets.shape[0])[hub_basket]
        given = np.bincount(pair_of, weights=hub[hub_of] * a / (BACKGROUND + a), minlength=len(pair_keys))
        explained = given + given[reverse]
    return rows, cols, explained, raw


def family_lift(baskets: Any, family: Any, n_families: int, prior: float = 0.0) -> tuple[Any, Any]:
    """Family x family lift of co-purchases (dense float64, ``(co + prior) /
    (expected + prior)``, zero diagonal) and the co-purchase counts."""
    known = family >= 0
    onehot = sp.csr_matrix((np.ones(int(known.sum()), dtype=np.float32),
                            (np.flatnonzero(known), family[known])), shape=(baskets.shape[1], n_families))
    by_family = (baskets @ onehot).tocsr()
    by_family.data[:] = 1.0
    co = (by_family.T @ by_family).toarray().astype(np.float64)
    counts = np.diag(co).copy()
    np.fill_diagonal(co, 0.0)
    expected = np.outer(counts, counts) / baskets.shape[0]
    lift = np.where(expected + prior > 0, (co + prior) / np.maximum(expected + prior, 1e-300), 0.0)
    np.fill_diagonal(lift, 0.0)
    return lift, co


def _n_families(family: Any) -> int:
    return int(family.max()) + 1 if len(family) else 0


def bought_together(data: Interactions, config: EngineConfig, family: Any) -> Any:
    """Item x item complement scores of co-purchases (CSR, ``neighbours`` per row)."""
    baskets = basket_matrix(data, data.type_mask(config.purchase_event_type), config)
    pairs, counts = pair_counts(baskets)
    if pairs.nnz == 0:
        return sp.csr_matrix((data.n_items, data.n_items), dtype=np.float32)
    rows, cols, e, raw = explained_counts(baskets, counts)
    lift = e * baskets.shape[0] / (counts[rows] * counts[cols])
    score = lift * (e / (e + max(config.bought_together_min_support - 1, 0) + 1e-12))
    same = (family[rows] >= 0) & (family[rows] == family[cols])
    score = np.where(same, score * config.bought_together_substitute_penalty, score)
    n_families = _n_families(family)
    if 2 <= n_families <= MAX_FAMILIES:
        between, _co = family_lift(baskets, family, n_families, prior=1.0)
        known = (family[rows] >= 0) & (family[cols] >= 0) & ~same
        score[known] *= np.sqrt(between[family[rows[known]], family[cols[known]]])
    # Among equal scores, the pair seen more often comes first.
    score = np.maximum(score * (1.0 + 1e-3 * np.log1p(raw)), FLOOR)
    matrix = sp.csr_matrix((score.astype(np.float32), (rows, cols)), shape=pairs.shape)
    return top_k_rows(matrix, config.neighbours)


def family_affinity(data: Interactions, config: EngineConfig, family: Any) -> Any | None:
    """Family x family lift of co-purchases (dense float32, zero diagonal), or
    ``None`` without families (or with too many for a dense matrix)."""
    n_families = _n_families(family)
    if n_families < 2 or n_families > MAX_FAMILIES:
        return None
    baskets = basket_matrix(data, data.type_mask(config.purchase_event_type), config)
    if baskets.shape[0] == 0:
        return None
    lift, co = family_lift(baskets, family, n_families)
    # Pairs of families bought together only once are noise, not a pattern.
    lift[co < config.bought_together_min_support] = 0.0
    return lift.astype(np.float32)
