"""Exploration against the filter bubble, with Personalize's two knobs.

``exploration_weight`` (0 to 1, default 0.3) is the share of a
recommended-for-you list given to *young* items, those younger than
``exploration_item_age_cutoff`` days (default 30). Age is measured back from
the latest event in the data, from the item's ``CREATION_TIMESTAMP`` or, when
it has none, its first interaction; an item with neither is brand new.

Which young items fill the explored slots is drawn at random, weighted
toward the little-shown: an item's chance goes as ``(1 + exposure) ** -2``,
where exposure is its interactions plus the impressions that were never
clicked (every list the engine served, and every event's explicit
``impression``, counts each item shown and not chosen). An item that keeps
being shown and ignored thus gives its slot to the next new item, as
Personalize describes.

The draw is seeded by the visitor and the time bucket
(``exploration_rotation_seconds``, an hour by default): one visitor keeps the
same explored items while they browse (a page reload does not reshuffle
them), two visitors see different ones, and the next bucket brings new ones.
Only items the request allows (its filter, what is available) are drawn.
The young items are listed once per model (see
:meth:`~personalize_sdk.engine.model.Model.young`), so a draw reads those
items only, never the whole catalogue.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

from ._deps import np
from .interactions import Interactions, parse_timestamp
from .popularity import DAY

#: weight of one ignored impression against an item, in interactions
IGNORED_IMPRESSION_COST = 1.0


def item_ages(data: Interactions, reference: float) -> Any:
    """Age of each item in days at ``reference`` (float64)."""
    first_seen = np.full(data.n_items, np.inf)
    if len(data.item):
        np.minimum.at(first_seen, data.item, data.ts)
    created = np.array(
        [parse_timestamp(props.get("CREATION_TIMESTAMP")) or np.inf for props in data.item_properties],
        dtype=np.float64,
    )
    born = np.minimum(first_seen, created)
    born[~np.isfinite(born)] = reference  # no date at all: new as of now
    return np.maximum(reference - born, 0.0) / DAY


def exposure(data: Interactions, item_index: dict[str, int]) -> Any:
    """Interactions plus ignored impressions, per item."""
    counts = np.bincount(data.item, minlength=data.n_items).astype(np.float64)
    for item_id, times in data.unclicked.items():
        index = item_index.get(item_id)
        if index is not None:
            counts[index] += IGNORED_IMPRESSION_COST * times
    for shown, chosen in data.shown:
        for item_id in shown:
            if item_id not in chosen:
                index = item_index.get(item_id)
                if index is not None:
                    counts[index] += IGNORED_IMPRESSION_COST
    return counts


def slots(n: int, weight: float) -> int:
    """How many of ``n`` slots are explored: ``round(n * weight)``, at least
    one when the weight is positive and ``n > 1`` (a 0.3 share of 2 slots
    would otherwise never explore)."""
    if weight <= 0 or n <= 0:
        return 0
    k = int(round(n * weight))
    if k == 0 and n > 1:
        k = 1
    return min(k, n)


#: how steeply exposure lowers an item's chance of being explored
EXPOSURE_POWER = 2.0


def seed(*parts: Any) -> int:
    """A stable 64-bit seed from ``parts`` (Python's own ``hash`` of a string
    changes with every process, which would reshuffle a visitor's slots)."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def bucket(now: float, seconds: float) -> int:
    """The time bucket of ``now``: explored items rotate from one to the next."""
    return int(now // seconds) if seconds > 0 else 0


def pick(candidates: Any, exposure_counts: Any, k: int, draw_seed: int) -> list[int]:
    """``k`` of the ``candidates`` (ascending item indices, or a bool mask)
    drawn without replacement, each with a weight
    ``(1 + exposure) ** -EXPOSURE_POWER``, by the seed ``draw_seed``.

    Efraimidis and Spirakis' draw: each item gets the key ``log(u) / weight``
    for a uniform ``u``, and the ``k`` largest keys win; one vectorised pass."""
    if k <= 0:
        return []
    candidates = np.asarray(candidates)
    idx = np.flatnonzero(candidates) if candidates.dtype == bool else candidates.astype(np.intp)
    if not len(idx):
        return []
    weight = np.power(1.0 + np.maximum(exposure_counts[idx], 0.0), -EXPOSURE_POWER)
    uniform = np.random.default_rng(draw_seed).random(len(idx))
    keys = np.log(np.maximum(uniform, 1e-300)) / weight
    if k < len(idx):
        best = np.argpartition(-keys, k - 1)[:k]
    else:
        best = np.arange(len(idx))
    best = best[np.argsort(-keys[best], kind="stable")]
    return [int(i) for i in idx[best]]


def interleave(relevant: Sequence[int], explored: Sequence[int], n: int) -> list[tuple[int, bool]]:
    """Spread ``explored`` items evenly through the list (not all at the end,
    where nobody looks); return ``(item, was_explored)`` pairs, at most ``n``."""
    explored = [i for i in explored if i not in set(relevant[: n - len(explored)])]
    result: list[tuple[int, bool]] = []
    rel = iter(i for i in relevant if i not in set(explored))
    if not explored:
        return [(i, False) for i in list(rel)[:n]]
    step = n / len(explored)
    positions = {min(n - 1, int(step * (j + 0.5))) for j in range(len(explored))}
    exp = iter(explored)
    for position in range(n):
        source = exp if position in positions else rel
        item = next(source, None)
        if item is None:  # one side ran out: take from the other
            other = rel if source is exp else exp
            item = next(other, None)
            if item is None:
                break
            result.append((item, other is exp))
        else:
            result.append((item, source is exp))
    return result
