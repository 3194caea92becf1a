"""Answering requests from a trained :class:`~personalize_sdk.engine.model.Model`.

Every answer is built the same way: score the candidates, remove what may
not be shown (the filter, the item itself, what the user already bought),
then take the best ``num_results``. Because removal comes before the cut, a
filtered list stays full while the catalogue has enough allowed items. When
the model cannot answer properly (a cold user, an item without interactions,
a use case short of data) the answer is a fallback: ``source="fallback"``
with a ``reason`` a person can read.

A request costs what its candidates cost, not the catalogue's size. The
candidates of recommended for you are the items the user's history rows
reach in the similarity and transition matrices (item-kNN: :class:`Sparse`
scores; every other item scores 0). Popular items, a category's items and
the young items exploration draws from come in orders computed at training
(see :meth:`~personalize_sdk.engine.model.Model.prepared`), and a request
takes the first allowed ones; a candidate list shorter than ``num_results``
is topped up by merging in the popularity order (the items at 0 rank by
popularity, then catalogue order, as a sort over the whole catalogue would
rank them). Only EASE (a dense matrix, at most ``ease_max_items`` items),
a request with a context (its lift is per item) and the untrained model
still score vectors over the catalogue.
"""

from __future__ import annotations

import dataclasses
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
from ._deps import np, sp
from . import exploration
from .config import EngineConfig
from .filtering import Allowed, FilterSet, interactions_by_type
from .model import Model, members
from .popularity import DAY, StoredCounts, top_among
from .related import RelatedLists
from .scales import EXPLORATION, NO_EVENTS, Answer, Share, Softmax, has_order, no_order, shown, slot_scores
from .store import Store

__all__ = ["EXPLORATION", "Scorer", "new_recommendation_id", "slot_scores"]


def new_recommendation_id() -> str:
    return "RID-" + uuid.uuid4().hex[:32]


class Sparse:
    """Scores of a few candidates (``index`` ascending); every other item of
    the ``size`` items of the catalogue scores 0."""

    def __init__(self, index: Any, values: Any, size: int) -> None:
        self.index, self.values, self.size = index, values, size

    def at(self, item: int) -> float:
        position = int(np.searchsorted(self.index, item))
        found = position < len(self.index) and self.index[position] == item
        return float(self.values[position]) if found else 0.0

    def dense(self) -> Any:
        vector = np.zeros(self.size, dtype=self.values.dtype)
        vector[self.index] = self.values
        return vector


class CategoryScores:
    """Popularity within ``category`` (the category's items score 2 more,
    so they all come first), over ``popular``."""

    def __init__(self, model: Model, popular: Any, category: int | None) -> None:
        self.popular, self.category, self.model = popular, category, model
        #: over the model's own popularity, its orders give the ranking
        self.trained = popular is model.popularity["all"]
        self.divisor = (model.peak() if self.trained else (float(popular.max()) if len(popular) else 0.0)) + 1.0
        self.in_category = category is not None and category >= 0

    def value(self, item: int) -> float:
        lift = 2.0 if self.in_category and self.model.category[item] == self.category else 0.0
        return float(self.popular[item] / self.divisor + lift)

    def dense(self) -> Any:
        scores = self.popular / self.divisor
        return scores + (self.model.category == self.category) * 2.0 if self.in_category else scores

    def share(self) -> Share:
        if not self.trained:
            return Share.of(self.dense())
        extra = 2.0 * len(members(self.model.by_category(), self.category)) if self.in_category else 0.0
        return Share(self.model.category_scaled_total() + extra, self.model.n_items)


def history_scores(personal: Any, items: Any, weights: Any, recency: Any, size: int) -> Any:
    """``personal.score`` of a history, as :class:`Sparse` scores over the
    columns its rows reach when the matrices are sparse (item-kNN). The rows
    are cut out with those columns renumbered, and scored by the model's own
    :meth:`~personalize_sdk.engine.personal.PersonalModel.score`, so every
    sum adds the same terms in the same order as over the whole catalogue."""
    if isinstance(personal.similarity, np.ndarray):
        return personal.score(items, weights, recency)
    rows = np.asarray(items, dtype=np.intp)
    cut = [_cut_rows(personal.similarity, rows), _cut_rows(personal.transition, rows)]
    columns = np.unique(np.concatenate([indices for indices, _data, _indptr in cut]))
    side = max(len(rows), len(columns), 1)

    def square(part: Any) -> Any:  # row j of the history, columns renumbered, padded to side x side
        indices, data, indptr = part
        indptr = np.concatenate((indptr, np.full(side - len(rows), indptr[-1])))
        return sp.csr_matrix((data, np.searchsorted(columns, indices), indptr), shape=(side, side))

    local = dataclasses.replace(personal, similarity=square(cut[0]), transition=square(cut[1]))
    values = local.score(np.arange(len(rows)), weights, recency)[: len(columns)]
    return Sparse(columns.astype(np.intp), values, size)


def _cut_rows(matrix: Any, rows: Any) -> tuple[Any, Any, Any]:
    """The CSR parts (indices, data, indptr) of ``matrix[rows]``, without a matrix per call."""
    starts = matrix.indptr[rows].astype(np.intp)
    lengths = matrix.indptr[rows + 1].astype(np.intp) - starts
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    return matrix.indices[take], matrix.data[take], indptr


def _value(scores: Any, item: int) -> float:
    return scores.at(item) if isinstance(scores, Sparse) else float(scores[item])


def _popularity_key(model: Model, scores: Any) -> str | None:
    """Which of the model's popularity vectors ``scores`` is (its order is precomputed)."""
    for key, vector in model.popularity.items():
        if vector is scores:
            return key
    return None


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

    def _explore(self, model: Model, allowed: Allowed, k: int, *visitor: Any, category: int | None = None) -> list[int]:
        """``k`` young allowed items (of ``category``, when given) drawn for
        this visitor and time bucket (see :mod:`.exploration`)."""
        if k <= 0:
            return []
        cutoff = self.config.exploration_item_age_cutoff
        young = model.young(cutoff) if category is None else members(model.young_by_category(cutoff), category)
        now = exploration.bucket(self.clock(), self.config.exploration_rotation_seconds)
        return exploration.pick(young[allowed.test(young)], model.exposure, k, exploration.seed(now, *visitor))

    # -- shared steps ----------------------------------------------------
    def _history(self, user_id: str | None) -> list[tuple[str, str, float]]:
        return self.store.history(user_id, self.config.history_scan) if user_id else []

    def _allowed(self, model: Model, request: Any, history: list, current_item: str | None) -> Allowed:
        if request.filter is None:
            return Allowed(model.n_items)
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
        return Allowed(model.n_items, np.asarray(mask, dtype=bool))

    def _consumed(self, model: Model, history: list) -> list[int]:
        """Items the user already consumed (by ``exclude_event_types``)."""
        consumed: list[int] = []
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
                consumed.append(index)
        return consumed

    @staticmethod
    def _best(model: Model, scores: Any, allowed: Allowed, n: int) -> list[tuple[int, float]]:
        """The best ``n`` allowed items by ``scores``, ties by ``popularity["all"]``
        then catalogue order; candidates only, wherever the scores allow."""
        tie = model.popularity["all"]
        if n <= 0:
            return []
        if isinstance(scores, Sparse):
            ok = allowed.test(scores.index)
            idx, values = scores.index[ok], scores.values[ok]
            chosen = top_among(idx[values > 0], values[values > 0], n, tie)
            if len(chosen) < n:  # then every item at 0, in the popularity order
                scored = scores.index[scores.values != 0]
                zeros = allowed.first(model.order("all"), n - len(chosen), keep=lambda c: ~np.isin(c, scored))
                chosen += [(int(i), 0.0) for i in zeros]
            return chosen + top_among(idx[values < 0], values[values < 0], n - len(chosen), tie)
        if isinstance(scores, CategoryScores) and scores.trained:
            first = allowed.first(members(model.by_category(), scores.category), n) if scores.in_category else []
            rest = allowed.first(model.order("all"), n - len(first),
                                 keep=(lambda c: model.category[c] != scores.category) if scores.in_category else None)
            return [(int(i), scores.value(int(i))) for i in list(first) + list(rest)]
        key = _popularity_key(model, scores)
        if key is not None:
            return [(int(i), float(scores[i])) for i in allowed.first(model.order(key), n)]
        dense = scores.dense() if isinstance(scores, CategoryScores) else scores
        idx = np.flatnonzero(allowed.dense())
        return top_among(idx, dense[idx], n, tie)

    def _fill(self, model: Model, chosen: list[tuple[int, float, tuple]], allowed: Allowed, n: int,
              scores: Any, reason_tag: tuple[str, ...] = ()) -> None:
        """Append the best of ``scores`` not yet chosen until there are ``n`` items."""
        if len(chosen) >= n:
            return
        taken = allowed.without([index for index, _score, _why in chosen])
        for index, score in self._best(model, scores, taken, n - len(chosen)):
            chosen.append((index, score, reason_tag))

    def _category_scores(self, model: Model, index: int | None, category: int | None = None) -> CategoryScores:
        """Popularity within the item's category (others score below all of them)."""
        popular, _what = self._popularity(model)
        if category is None and index is not None:
            category = int(model.category[index])
        return CategoryScores(model, popular, category)

    @staticmethod
    def _share(model: Model, scores: Any) -> Share:
        """Each item's share of ``scores`` (a model's popularity: its total is precomputed)."""
        key = _popularity_key(model, scores)
        return Share(model.share(key), model.n_items) if key is not None else Share.of(scores)

    @staticmethod
    def _has_order(model: Model, scores: Any) -> bool:
        """Whether ``scores`` rank anything (a popularity vector has, when its total is positive)."""
        key = _popularity_key(model, scores)
        return has_order(scores) if key is None else bool(model.n_items) and model.share(key) > 0

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
            return Answer([(i, s, ()) for i, s in self._best(model, scores, allowed, n)],
                          scale=self._share(model, scores))
        scores, what = self._popularity(model)
        if not self._has_order(model, scores):
            return no_order(f"{request.use_case} is not ready: {status.reason}")
        answer = Answer([], SOURCE_FALLBACK, f"{request.use_case} is not ready: {status.reason}; showing {what}",
                        scale=self._share(model, scores))
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
        return history_scores(model.personal, items, weights, recency, model.n_items)

    def _personal(self, model: Model, request: RecommendationRequest, history: list, allowed: Allowed,
                  n: int) -> Answer:
        allowed = allowed.without(self._consumed(model, history))
        status = model.status(RECOMMENDED_FOR_YOU)
        scores = self._personal_scores(model, history) if status.ready else None
        if scores is None:
            fallback, what = self._cold_scores(model)
            fallback = self._in_context(model, fallback, request.context)
            why = (f"recommended_for_you is not ready: {status.reason}" if not status.ready
                   else "the user has no history yet")
            if not self._has_order(model, fallback):
                return no_order(why)
            answer = Answer([], SOURCE_FALLBACK, f"{why}; showing {what}", scale=self._share(model, fallback))
            self._fill(model, answer.items, allowed, n, fallback)
            return answer
        scores = self._in_context(model, scores, request.context, log=True)
        k = exploration.slots(n, self.config.exploration_weight)
        relevant = self._best(model, scores, allowed, n)
        explored = self._explore(model, allowed.without([i for i, _s in relevant[: n - k]]), k,
                                 "personal", request.user_id)
        by_index = dict(relevant)
        items = []
        for i, was_explored in exploration.interleave([i for i, _ in relevant], explored, n):
            items.append((i, by_index.get(i, _value(scores, i)), (EXPLORATION,) if was_explored else ()))
        # The probability of each item among the whole catalogue, as Personalize scores.
        temperature = self.config.score_temperature
        return Answer(items, scale=Softmax.sparse(scores.values, scores.size, temperature)
                      if isinstance(scores, Sparse) else Softmax(scores, temperature))

    def _in_context(self, model: Model, scores: Any, context: Any, *, log: bool = False) -> Any:
        """``scores`` reweighed by each item's lift for the request's context
        (see :mod:`.context`): multiplied by ``lift ** context_weight``, or for
        raw scores that a softmax turns into probabilities, the same factor
        added in its logarithm."""
        weight = self.config.context_weight
        lift = model.context.lift(context) if context and weight and model.context is not None else None
        if lift is None:
            return scores
        if isinstance(scores, Sparse):  # the lift is per item: every item's score changes
            scores = scores.dense()
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
        given = list(dict.fromkeys(request.item_ids))
        indices = [model.item_index.get(item_id) for item_id in given]
        found = [index for index in indices if index is not None]
        visible = dict(zip(found, allowed.test(found)))
        for position, (item_id, index) in enumerate(zip(given, indices)):
            if index is None:
                unknown.append(item_id)
            elif visible[index]:
                known.append((-_value(scores, index), -float(model.popularity["all"][index]), position, index))
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
