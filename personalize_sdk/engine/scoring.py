"""Answering requests from a trained :class:`~personalize_sdk.engine.model.Model`.

Every answer is built the same way: score the catalogue, remove what may not
be shown (the filter, the item itself, what the user already bought), then
take the best ``num_results``. Because removal comes before the cut, a
filtered list stays full while the catalogue has enough allowed items. When
the model cannot answer properly (a cold user, an item without interactions,
a use case short of data) the answer is a fallback: ``source="fallback"``
with a ``reason`` a person can read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Sequence

from ..records import schema_properties
from ..recommendations import SOURCE_FALLBACK, SOURCE_MODEL, Recommendation, RecommendationList
from ..use_cases import (
    ALSO_VIEWED,
    BEST_SELLERS,
    BOUGHT_TOGETHER,
    MOST_VIEWED,
    RECOMMENDED_FOR_YOU,
    RankingRequest,
    RecommendationRequest,
)
from ._deps import np
from . import exploration
from .config import EngineConfig
from .cooccurrence import neighbours
from .filtering import FilterSet, interactions_by_type
from .model import Model
from .popularity import DAY, StoredCounts
from .scales import EXPLORATION, Scale, Share, Softmax, shown, slot_scores
from .store import Store

__all__ = ["EXPLORATION", "Scorer", "new_recommendation_id", "slot_scores"]


def new_recommendation_id() -> str:
    return "RID-" + uuid.uuid4().hex[:32]


@dataclass
class Answer:
    """Scores and the mask of what may be shown, before the cut."""

    items: list[tuple[int, float, tuple[str, ...]]]
    source: str = SOURCE_MODEL
    reason: str | None = None
    #: how the raw scores become Personalize's [0, 1] (see :mod:`.scales`)
    scale: Scale | None = None


class Scorer:
    """Serves one engine's requests; stateless apart from its collaborators.

    ``stored_counts`` gives the popularity of the stored events while the
    model is the untrained placeholder (without it, that placeholder has none)."""

    def __init__(self, store: Store, config: EngineConfig, filters: FilterSet,
                 stored_counts: StoredCounts | None = None) -> None:
        self.store = store
        self.config = config
        self.filters = filters
        self.stored_counts = stored_counts

    # -- shared steps ----------------------------------------------------
    def _history(self, user_id: str | None) -> list[tuple[str, str, float]]:
        return self.store.history(user_id, self.config.history_scan) if user_id else []

    def _allowed(self, model: Model, request: Any, history: list, current_item: str | None) -> Any:
        allowed = np.ones(model.n_items, dtype=bool)
        if request.filter is None:
            return allowed
        user_id = request.user_id
        props = self.store.user_properties(user_id) if user_id else None
        mask = self.filters.mask(
            model,
            request.filter,
            values=request.filter_values,
            user_properties=schema_properties(props) if props is not None else None,
            interactions=interactions_by_type(history, self.config.filter_interactions_per_type) if user_id else None,
            current_item=current_item,
        )
        return allowed & np.asarray(mask, dtype=bool)

    def _consumed(self, model: Model, history: list) -> Any:
        """Mask of items the user already consumed (by ``exclude_event_types``)."""
        mask = np.zeros(model.n_items, dtype=bool)
        per_type: dict[str, int] = {}
        for item_id, event_type, _ts in history:
            if not self.config.excludes(event_type):
                continue
            # Personalize looks at the latest 100 events per type for this rule.
            per_type[event_type] = per_type.get(event_type, 0) + 1
            if per_type[event_type] > self.config.filter_interactions_per_type:
                continue
            index = model.item_index.get(item_id)
            if index is not None:
                mask[index] = True
        return mask

    @staticmethod
    def _top(scores: Any, allowed: Any, n: int, *tie_breakers: Any) -> list[tuple[int, float]]:
        """The best ``n`` allowed items by ``scores``, ties by ``tie_breakers`` then catalogue order."""
        idx = np.flatnonzero(allowed)
        if not len(idx):
            return []
        if n < len(idx):
            # Partition first, so the sort only touches the few items that can
            # make the cut (all those tied with the n-th best included).
            values = scores[idx]
            kth = np.partition(values, len(values) - n)[len(values) - n]
            candidates = idx[values >= kth]
            if len(candidates) <= 50 * n:
                idx = candidates
        keys = [idx] + [-t[idx] for t in reversed(tie_breakers)] + [-scores[idx]]
        order = np.lexsort(keys)[:n]
        return [(int(i), float(scores[i])) for i in idx[order]]

    def _fill(self, model: Model, chosen: list[tuple[int, float, tuple]], allowed: Any, n: int,
              scores: Any, reason_tag: tuple[str, ...] = ()) -> None:
        """Append the best of ``scores`` not yet chosen until there are ``n`` items."""
        if len(chosen) >= n:
            return
        taken = allowed.copy()
        for index, _score, _why in chosen:
            taken[index] = False
        for index, score in self._top(scores, taken, n - len(chosen), model.popularity["all"]):
            chosen.append((index, score, reason_tag))

    def _category_scores(self, model: Model, index: int | None, category: int | None = None) -> Any:
        """Popularity within the item's category (others score below all of them)."""
        popular, _what = self._popularity(model)
        scores = popular / ((popular.max() if len(popular) else 0.0) + 1.0)
        if category is None and index is not None:
            category = int(model.category[index])
        if category is not None and category >= 0:
            scores = scores + (model.category == category) * 2.0
        return scores

    def _respond(self, model: Model, request: Any, use_case: str, answer: Answer) -> RecommendationList:
        rid = new_recommendation_id()
        slotted = slot_scores(answer.items)
        scale = answer.scale or Share(0.0, len(slotted))
        scores = scale.map([score for _i, score, _why in slotted])
        items = tuple(
            Recommendation(model.item_ids[i], shown(score), reason=why)
            for (i, _raw, why), score in zip(slotted, scores)
        )
        if self.config.record_impressions and items:
            self.store.record_served(rid, use_case, request.user_id, [r.item_id for r in items])
        return RecommendationList(items, recommendation_id=rid, use_case=use_case,
                                  source=answer.source, reason=answer.reason,
                                  extra={"model_version": model.version})

    # -- use cases -------------------------------------------------------
    def recommend(self, model: Model, request: RecommendationRequest) -> RecommendationList:
        self.filters.check(request.filter)
        history = self._history(request.user_id)
        allowed = self._allowed(model, request, history, request.item_id)
        n = request.num_results
        handler = {
            BEST_SELLERS: self._popular,
            MOST_VIEWED: self._popular,
            ALSO_VIEWED: self._related,
            BOUGHT_TOGETHER: self._related,
            RECOMMENDED_FOR_YOU: self._personal,
        }[request.use_case]
        answer = handler(model, request, history, allowed, n)
        return self._respond(model, request, request.use_case, answer)

    def _popular(self, model: Model, request: RecommendationRequest, history: list, allowed: Any, n: int) -> Answer:
        status = model.status(request.use_case)
        if status.ready:
            scores = model.popularity[request.use_case]
            return Answer([(i, s, ()) for i, s in self._top(scores, allowed, n, model.popularity["all"])],
                          scale=Share.of(scores))
        scores, what = self._popularity(model)
        answer = Answer([], SOURCE_FALLBACK, f"{request.use_case} is not ready: {status.reason}; showing {what}",
                        scale=Share.of(scores))
        self._fill(model, answer.items, allowed, n, scores)
        return answer

    def _popularity(self, model: Model) -> tuple[Any, str]:
        """Popularity over every event and what it is, in words: the model's
        vector, or before any training the counts of the stored events."""
        if model.version != "untrained":
            return model.popularity["all"], "the most popular items across all events"
        counted = self.stored_counts.events if self.stored_counts is not None else 0
        if not counted:
            return np.zeros(model.n_items), "the catalogue in its own order (no item events are stored yet)"
        vector = self.stored_counts.vector(model.item_ids)  # type: ignore[union-attr]
        return vector, f"the most popular items of the {counted} item events stored so far"

    def _related(self, model: Model, request: RecommendationRequest, history: list, allowed: Any, n: int) -> Answer:
        index = model.item_index.get(request.item_id)  # type: ignore[arg-type]
        allowed = allowed & ~self._consumed_purchases(model, history)
        if index is not None:
            allowed[index] = False
        status = model.status(request.use_case)
        if (index is not None and not status.ready and request.use_case == BOUGHT_TOGETHER
                and model.status(ALSO_VIEWED).ready):
            answer = self._neighbour_list(model, [(model.also_viewed, ())], index, allowed, n)
            answer.scale = self._row_share(model.also_viewed, index)
            answer.source = SOURCE_FALLBACK
            answer.reason = f"bought_together is not ready: {status.reason}; showing what customers also viewed"
            self._fill_category(model, answer, allowed, n, index)
            return answer
        if index is None or not status.ready:
            why = (f"{request.use_case} is not ready: {status.reason}" if index is not None
                   else f"item {request.item_id!r} has no interactions in the trained model yet")
            category = self._category_scores(model, index)
            answer = Answer([], SOURCE_FALLBACK, why + "; showing popular items of the same category",
                            scale=Share.of(category))
            self._fill(model, answer.items, allowed, n, category, ("category",))
            return answer
        sources = [(model.bought_together, ())] if request.use_case == BOUGHT_TOGETHER else []
        sources.append((model.also_viewed, ("also_viewed",) if request.use_case == BOUGHT_TOGETHER else ()))
        answer = self._neighbour_list(model, sources, index, allowed, n)
        answer.scale = self._row_share(sources[0][0], index)
        if not answer.items:
            answer.source = SOURCE_FALLBACK
            answer.reason = "the item has no interactions shared with other items yet; showing popular items of its category"
        elif request.use_case == BOUGHT_TOGETHER and all(why for _i, _s, why in answer.items):
            answer.source = SOURCE_FALLBACK
            answer.reason = "too few co-purchases of this item; showing what customers also viewed"
        self._fill_category(model, answer, allowed, n, index)
        return answer

    @staticmethod
    def _neighbour_list(model: Model, sources: list, index: int, allowed: Any, n: int) -> Answer:
        """The allowed neighbours of ``index`` in each matrix of ``sources`` in turn."""
        answer = Answer([])
        taken = allowed.copy()
        for matrix, tag in sources:
            cols, vals = neighbours(matrix, index)
            for col, val in zip(cols, vals):
                if len(answer.items) >= n:
                    break
                if taken[col]:
                    taken[col] = False
                    answer.items.append((int(col), float(val), tag))
        return answer

    @staticmethod
    def _row_share(matrix: Any, index: int) -> Share:
        """Shares of the item's whole neighbour row (all its co-occurrence weight)."""
        _cols, vals = neighbours(matrix, index)
        return Share(float(np.clip(vals, 0.0, None).sum()), matrix.shape[1])

    def _fill_category(self, model: Model, answer: Answer, allowed: Any, n: int, index: int) -> None:
        """Top up a short related list with the item's category: young, little-seen
        items get the exploration share (how a new item gets its first views)."""
        if len(answer.items) >= n:
            return
        taken = allowed.copy()
        for i, _s, _w in answer.items:
            taken[i] = False
        same = taken & (model.category == model.category[index]) if model.category[index] >= 0 else taken
        young = same & (model.age_days < self.config.exploration_item_age_cutoff)
        k = exploration.slots(n - len(answer.items), self.config.exploration_weight)
        for i in exploration.pick(young, model.exposure, model.popularity["all"], k):
            answer.items.append((i, 0.0, ("category", EXPLORATION)))
        self._fill(model, answer.items, allowed, n, self._category_scores(model, index), ("category",))

    def _consumed_purchases(self, model: Model, history: list) -> Any:
        # Personalize's "also viewed" drops items the user already bought.
        mask = np.zeros(model.n_items, dtype=bool)
        for item_id, event_type, _ts in history:
            if event_type == self.config.purchase_event_type:
                index = model.item_index.get(item_id)
                if index is not None:
                    mask[index] = True
        return mask

    def _cold_scores(self, model: Model) -> tuple[Any, str]:
        if model.status(BEST_SELLERS).ready:
            return model.popularity[BEST_SELLERS], "best sellers"
        return self._popularity(model)

    def _personal_scores(self, model: Model, history: list) -> Any | None:
        if model.personal is None:
            return None
        items, weights, stamps = [], [], []
        for item_id, event_type, ts in history[: self.config.history_length]:
            index = model.item_index.get(item_id)
            if index is not None:
                items.append(index)
                weights.append(self.config.weight(event_type))
                stamps.append(ts)
        if not items:
            return None
        recency = None
        if self.config.history_half_life_days:
            age_days = (stamps[0] - np.asarray(stamps)) / DAY
            recency = np.power(0.5, age_days / self.config.history_half_life_days)
        return model.personal.score(items, weights, recency)

    def _personal(self, model: Model, request: RecommendationRequest, history: list, allowed: Any, n: int) -> Answer:
        allowed = allowed & ~self._consumed(model, history)
        status = model.status(RECOMMENDED_FOR_YOU)
        scores = self._personal_scores(model, history) if status.ready else None
        if scores is None:
            fallback, what = self._cold_scores(model)
            fallback = self._in_context(model, fallback, request.context)
            why = (f"recommended_for_you is not ready: {status.reason}" if not status.ready
                   else "the user has no history yet")
            answer = Answer([], SOURCE_FALLBACK, f"{why}; showing {what}", scale=Share.of(fallback))
            self._fill(model, answer.items, allowed, n, fallback)
            return answer
        scores = self._in_context(model, scores, request.context, log=True)
        k = exploration.slots(n, self.config.exploration_weight)
        relevant = self._top(scores, allowed, n, model.popularity["all"])
        young = allowed & (model.age_days < self.config.exploration_item_age_cutoff)
        for i, _s in relevant[: n - k]:
            young[i] = False
        explored = exploration.pick(young, model.exposure, scores, k)
        by_index = dict(relevant)
        items = []
        for i, was_explored in exploration.interleave([i for i, _ in relevant], explored, n):
            items.append((i, by_index.get(i, float(scores[i])), (EXPLORATION,) if was_explored else ()))
        # The probability of each item among the whole catalogue, as Personalize scores.
        return Answer(items, scale=Softmax(scores, self.config.score_temperature))

    def _in_context(self, model: Model, scores: Any, context: Any, *, log: bool = False) -> Any:
        """``scores`` reweighed by each item's lift for the request's context
        (see :mod:`.context`): multiplied by ``lift ** context_weight``, or for
        raw scores that a softmax turns into probabilities, the same factor
        added in its logarithm."""
        weight = self.config.context_weight
        lift = model.context.lift(context) if context and weight and model.context is not None else None
        if lift is None:
            return scores
        if log:
            return scores + self.config.score_temperature * weight * np.log(lift)
        return scores * np.power(lift, weight)

    # -- ranking ---------------------------------------------------------
    def rank(self, model: Model, request: RankingRequest) -> RecommendationList:
        self.filters.check(request.filter)
        history = self._history(request.user_id)
        allowed = self._allowed(model, request, history, None)
        status = model.status(RECOMMENDED_FOR_YOU)
        scores = self._personal_scores(model, history) if status.ready else None
        answer = Answer([])
        if scores is None:
            scores, what = self._cold_scores(model)
            scores = self._in_context(model, scores, request.context)
            answer.source = SOURCE_FALLBACK
            answer.reason = (f"recommended_for_you is not ready: {status.reason}" if not status.ready
                             else "the user has no history yet") + f"; ranked by {what}"
        else:
            scores = self._in_context(model, scores, request.context, log=True)
        known, unknown = [], []
        for position, item_id in enumerate(dict.fromkeys(request.item_ids)):
            index = model.item_index.get(item_id)
            if index is None:
                unknown.append(item_id)
            elif allowed[index]:
                known.append((-float(scores[index]), -float(model.popularity["all"][index]), position, index))
        known.sort()
        answer.items = [(index, -neg, ()) for neg, _p, _pos, index in known]
        # Only the input items share the mass: their scores sum to 1.
        ranked = [score for _i, score, _why in answer.items]
        answer.scale = (Softmax(ranked, self.config.score_temperature) if answer.source == SOURCE_MODEL
                        else Share(sum(max(0.0, x) for x in ranked), len(ranked)))
        result = self._respond(model, request, "ranking", answer)
        if unknown and request.filter is None:
            # Items the model has never seen keep their given order, after the
            # rest, with a score of 0 (as Personalize scores an item absent from training).
            tail = tuple(Recommendation(item_id, 0.0) for item_id in unknown)
            result = RecommendationList(result.items + tail, recommendation_id=result.recommendation_id,
                                        use_case=result.use_case, source=result.source, reason=result.reason,
                                        extra=result.extra)
        return result
