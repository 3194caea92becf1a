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

import time
import uuid
from typing import Any, Callable

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
from .filtering import FilterSet, interactions_by_type
from .model import Model
from .popularity import DAY, StoredCounts
from .related import RelatedLists
from .scales import EXPLORATION, NO_EVENTS, Answer, Share, Softmax, has_order, no_order, shown, slot_scores
from .store import Store

__all__ = ["EXPLORATION", "Scorer", "new_recommendation_id", "slot_scores"]


def new_recommendation_id() -> str:
    return "RID-" + uuid.uuid4().hex[:32]


class Scorer(RelatedLists):
    """Serves one engine's requests; stateless apart from its collaborators.

    ``stored_counts`` gives the popularity of the stored events while the
    model is the untrained placeholder (without it, that placeholder has none).
    ``clock`` (epoch seconds, :func:`time.time` by default) picks the time
    bucket that the explored items rotate with."""

    def __init__(self, store: Store, config: EngineConfig, filters: FilterSet,
                 stored_counts: StoredCounts | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.config = config
        self.filters = filters
        self.stored_counts = stored_counts
        self.clock = clock

    def _explore(self, model: Model, candidates: Any, k: int, *visitor: Any) -> list[int]:
        """``k`` young candidates drawn for this visitor and time bucket (see :mod:`.exploration`)."""
        young = candidates & (model.age_days < self.config.exploration_item_age_cutoff)
        now = exploration.bucket(self.clock(), self.config.exploration_rotation_seconds)
        return exploration.pick(young, model.exposure, k, exploration.seed(now, *visitor))

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
        if not has_order(scores):
            return no_order(f"{request.use_case} is not ready: {status.reason}")
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
            return np.zeros(model.n_items), NO_EVENTS
        vector = self.stored_counts.vector(model.item_ids)  # type: ignore[union-attr]
        return vector, f"the most popular items of the {counted} item events stored so far"

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
            if not has_order(fallback):
                return no_order(why)
            answer = Answer([], SOURCE_FALLBACK, f"{why}; showing {what}", scale=Share.of(fallback))
            self._fill(model, answer.items, allowed, n, fallback)
            return answer
        scores = self._in_context(model, scores, request.context, log=True)
        k = exploration.slots(n, self.config.exploration_weight)
        relevant = self._top(scores, allowed, n, model.popularity["all"])
        candidates = allowed.copy()
        for i, _s in relevant[: n - k]:
            candidates[i] = False
        explored = self._explore(model, candidates, k, "personal", request.user_id)
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
