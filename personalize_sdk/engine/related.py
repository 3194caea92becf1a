"""Related items: customers also viewed, frequently bought together.

The part of :class:`~personalize_sdk.engine.scoring.Scorer` that answers
from an item: its neighbours in the also-viewed or the bought-together
matrix, the allowed ones only, topped up from the families bought with its
own (bought together) and from its category. A mixin: the ranking and
fill-in steps it uses (``_fill``, ``_category_scores``, ``_popularity``,
``_explore``) are the scorer's own.

Candidates only: the item's neighbour row, the items of the families bought
with its own (listed per family at training), its category's items in their
popularity order; what is allowed is asked of those (see
:class:`~personalize_sdk.engine.filtering.Allowed`).
"""

from __future__ import annotations

from typing import Any

from ..recommendations import SOURCE_FALLBACK
from ..use_cases import ALSO_VIEWED, BOUGHT_TOGETHER, RecommendationRequest
from ._deps import np
from . import exploration
from .cooccurrence import neighbours
from .filtering import Allowed
from .model import Model, members
from .popularity import top_among
from .scales import EXPLORATION, Answer, Share, has_order, no_order


class RelatedLists:
    """``also_viewed`` and ``bought_together`` answers, for :class:`Scorer`."""

    config: Any

    def _related(self, model: Model, request: RecommendationRequest, history: list, allowed: Allowed,
                 n: int) -> Answer:
        index = model.item_index.get(request.item_id)  # type: ignore[arg-type]
        allowed = allowed.without(self._consumed_purchases(model, history) + ([index] if index is not None else []))
        status = model.status(request.use_case)
        if (index is not None and not status.ready and request.use_case == BOUGHT_TOGETHER
                and model.status(ALSO_VIEWED).ready):
            answer = self._neighbour_list(model, model.also_viewed, (), index, allowed, n)
            answer.source = SOURCE_FALLBACK
            answer.reason = f"bought_together is not ready: {status.reason}; showing what customers also viewed"
            self._fill_category(model, answer, allowed, n, index, request.user_id)
            return answer
        if index is None or not status.ready:
            why = (f"{request.use_case} is not ready: {status.reason}" if index is not None
                   else f"item {request.item_id!r} has no interactions in the trained model yet")
            if not self._has_order(model, self._popularity(model)[0]):
                return no_order(why)
            category = self._category_scores(model, index)
            answer = Answer([], SOURCE_FALLBACK, why + "; showing popular items of the same category",
                            scale=category.share())
            self._fill(model, answer.items, allowed, n, category, ("category",))
            return answer
        if request.use_case == BOUGHT_TOGETHER:
            answer = self._complements(model, index, allowed, n)
        else:
            answer = self._neighbour_list(model, model.also_viewed, (), index, allowed, n)
            if not answer.items:
                answer.source = SOURCE_FALLBACK
                answer.reason = ("the item has no interactions shared with other items yet; "
                                 "showing popular items of its category")
        self._fill_category(model, answer, allowed, n, index, request.user_id)
        return answer

    def _complements(self, model: Model, index: int, allowed: Any, n: int) -> Answer:
        """Bought together: the item's co-purchases scored as complements (see
        :mod:`.complements`), topped up from the families bought with its own;
        only an item with no co-purchase at all gets what customers also
        viewed, other families first, marked as a fallback."""
        cols, _vals = neighbours(model.bought_together, index)
        if len(cols):
            answer = self._neighbour_list(model, model.bought_together, (), index, allowed, n)
            if not answer.items:
                answer.source = SOURCE_FALLBACK
                answer.reason = ("no item bought with this one is allowed here; "
                                 "showing items of the families bought with its own")
        else:
            answer = self._neighbour_list(model, model.also_viewed, ("also_viewed",), index, allowed, model.n_items)
            family = model.family
            if family is not None and family[index] >= 0:
                # A viewed-together item of the same family is an alternative, not a complement.
                answer.items.sort(key=lambda row: bool(family[row[0]] == family[index]))
            del answer.items[n:]
            answer.source = SOURCE_FALLBACK
            answer.reason = "no co-purchases of this item yet; showing what customers also viewed"
        self._fill_complementary(model, answer, allowed, n, index)
        return answer

    def _fill_complementary(self, model: Model, answer: Answer, allowed: Allowed, n: int, index: int) -> None:
        """Top up with the popular items of the families bought with the item's own."""
        affinity, family = model.family_affinity, model.family
        if len(answer.items) >= n or affinity is None or family is None or family[index] < 0:
            return
        row = affinity[family[index]]
        groups = model.by_family()
        candidates = [members(groups, int(g)) for g in np.flatnonzero(row > 0)]
        if not candidates:
            return
        items = np.concatenate(candidates)
        popular = model.popularity["all"]
        scores = row[family[items]] * (0.5 + popular[items] / (model.peak() + 1.0))
        ok = allowed.without([i for i, _s, _w in answer.items]).test(items)
        for i, score in top_among(items[ok], scores[ok], n - len(answer.items), popular):
            answer.items.append((i, score, ("complementary_family",)))

    @staticmethod
    def _neighbour_list(model: Model, matrix: Any, tag: tuple[str, ...], index: int, allowed: Allowed,
                        n: int) -> Answer:
        """The allowed neighbours of ``index`` in ``matrix``, scaled as shares of its row."""
        answer = Answer([], scale=RelatedLists._row_share(matrix, index))
        cols, vals = neighbours(matrix, index)
        ok = allowed.test(cols)
        answer.items = [(int(col), float(val), tag) for col, val in zip(cols[ok][:n], vals[ok][:n])]
        return answer

    @staticmethod
    def _row_share(matrix: Any, index: int) -> Share:
        """Shares of the item's whole neighbour row (all its co-occurrence weight)."""
        _cols, vals = neighbours(matrix, index)
        return Share(float(np.clip(vals, 0.0, None).sum()), matrix.shape[1])

    def _fill_category(self, model: Model, answer: Answer, allowed: Allowed, n: int, index: int,
                       visitor: str | None) -> None:
        """Top up a short related list with the item's category: young, little-seen
        items get the exploration share (how a new item gets its first views)."""
        if len(answer.items) >= n:
            return
        taken = allowed.without([i for i, _s, _w in answer.items])
        category = int(model.category[index])
        k = exploration.slots(n - len(answer.items), self.config.exploration_weight)
        for i in self._explore(model, taken, k, "related", model.item_ids[index], visitor,
                               category=category if category >= 0 else None):
            answer.items.append((i, 0.0, ("category", EXPLORATION)))
        self._fill(model, answer.items, allowed, n, self._category_scores(model, index), ("category",))

    def _consumed_purchases(self, model: Model, history: list) -> list[int]:
        # Personalize's "also viewed" drops items the user already bought.
        bought = (model.item_index.get(item_id) for item_id, event_type, _ts in history
                  if event_type == self.config.purchase_event_type)
        return [index for index in bought if index is not None]
