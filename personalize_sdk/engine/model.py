"""The trained bundle, the training report and the readiness rules.

A :class:`Model` is immutable once built: training builds a whole new one and
the engine swaps one reference, so a request sees either the old model or
the new one, never half of each.

Readiness follows Personalize's minimums (reference 6.1 and 4.3), multiplied
by ``min_data_scale`` for small shops: every use case needs 1000
interactions and 25 users with at least two; most viewed and also viewed
need 1000 View events, best sellers and bought together 1000 Purchase
events. A use case that is not ready is still answered, by an honest
fallback marked as such.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from ..use_cases import ALSO_VIEWED, BEST_SELLERS, BOUGHT_TOGETHER, MOST_VIEWED, RECOMMENDED_FOR_YOU
from ._deps import np
from . import complements, context, cooccurrence, exploration, personal, popularity
from .config import EngineConfig
from .interactions import Interactions, first_category, load
from .store import Store


@dataclass(frozen=True)
class UseCaseStatus:
    """Whether a use case is served by the model, and if not, why."""

    ready: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "reason": self.reason}


@dataclass(frozen=True)
class TrainingReport:
    """What :meth:`~personalize_sdk.backends.local.LocalBackend.train` did."""

    model_version: str
    events: int
    interactions: int
    items: int
    users: int
    event_types: dict[str, int]
    seconds: float
    use_cases: dict[str, UseCaseStatus]
    similarity: str = ""

    @property
    def ready(self) -> list[str]:
        return [name for name, status in self.use_cases.items() if status.ready]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "events": self.events,
            "interactions": self.interactions,
            "items": self.items,
            "users": self.users,
            "event_types": dict(self.event_types),
            "seconds": round(self.seconds, 3),
            "similarity": self.similarity,
            "use_cases": {name: status.to_dict() for name, status in self.use_cases.items()},
        }

    def __str__(self) -> str:
        parts = [
            f"{self.interactions} interactions, {self.items} items, {self.users} users in {self.seconds:.2f}s"
        ]
        for name, status in self.use_cases.items():
            parts.append(f"{name}: {'ready' if status.ready else 'not ready (' + status.reason + ')'}")
        return "; ".join(parts)


@dataclass
class Model:
    """Everything a request needs, built at once by :func:`build`."""

    version: str
    trained_at: float
    reference_time: float          # latest event time: "now" for decay and ages
    item_ids: list[str]
    item_index: dict[str, int]
    item_properties: list[dict]
    category: Any                  # int32 per item, -1 for none
    category_names: list[str]
    popularity: dict[str, Any]     # "best_sellers", "most_viewed", "all" -> float64 per item
    also_viewed: Any               # CSR
    bought_together: Any           # CSR
    personal: Any                  # PersonalModel or None
    age_days: Any
    exposure: Any
    report: TrainingReport
    #: contextual metadata counts (None: no event had any, or pickled before it existed)
    context: Any = None
    #: int32 per item: its most specific category (see :mod:`.complements`); None in older pickles
    family: Any = None
    #: family x family co-purchase lift (dense), or None
    family_affinity: Any = None
    #: the serving indexes built at training (see :meth:`prepared`); None in older pickles
    serving: dict | None = None
    # filled lazily by the serving layer (filter catalogue, compiled filters)
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __getstate__(self) -> dict:
        # Compiled filters belong to one process and one model; never pickle them.
        state = dict(self.__dict__)
        state["cache"] = {}
        return state

    def status(self, use_case: str) -> UseCaseStatus:
        return self.report.use_cases[use_case]

    # -- serving indexes: what lets a request touch only its candidates ----
    def prepared(self, key: Any, make: Any) -> Any:
        """The serving index ``key``: built at training, or else (a model
        pickled before they existed, a setting unlike the training's) by
        ``make()`` on first use and kept in the cache."""
        if self.serving is not None and key in self.serving:
            return self.serving[key]
        value = self.cache.get(key)
        if value is None:
            value = self.cache[key] = make()
        return value

    def order(self, key: str) -> Any:
        """Every item by descending ``popularity[key]``, ties by ``popularity["all"]``
        then catalogue order (a request takes the first allowed ones)."""
        return self.prepared(("order", key), lambda: popularity.order(self.popularity[key], self.popularity["all"]))

    def share(self, key: str) -> float:
        """The total of ``popularity[key]`` (an item's score is its share of it)."""
        return self.prepared(("share", key), lambda: float(np.clip(self.popularity[key], 0.0, None).sum()))

    def peak(self) -> float:
        """The largest ``popularity["all"]`` (0 for an empty catalogue)."""
        popular = self.popularity["all"]
        return self.prepared(("peak",), lambda: float(popular.max()) if len(popular) else 0.0)

    def category_scaled_total(self) -> float:
        """The sum of ``popularity["all"] / (peak + 1)``: the mass of a category fallback."""
        return self.prepared(("scaled",), lambda: float((self.popularity["all"] / (self.peak() + 1.0)).sum()))

    def by_category(self) -> tuple[Any, Any]:
        """The popularity order of ``all`` grouped by category (see :func:`.popularity.grouped`)."""
        return self.prepared(("category",), lambda: popularity.grouped(
            self.order("all"), self.category, len(self.category_names)))

    def by_family(self) -> tuple[Any, Any]:
        """Item indices grouped by family, ascending within each."""
        family = self.family if self.family is not None else np.full(self.n_items, -1, dtype=np.int32)
        return self.prepared(("family",), lambda: popularity.grouped(
            np.arange(self.n_items), family, int(family.max()) + 1 if len(family) else 0))

    def young(self, cutoff: float) -> Any:
        """Items younger than ``cutoff`` days, ascending (the ones exploration draws from)."""
        return self.prepared(("young", cutoff), lambda: np.flatnonzero(self.age_days < cutoff))

    def young_by_category(self, cutoff: float) -> tuple[Any, Any]:
        """The young items grouped by category, ascending within each."""
        return self.prepared(("young-category", cutoff), lambda: popularity.grouped(
            self.young(cutoff), self.category, len(self.category_names)))

    def prepare(self, config: EngineConfig) -> None:
        """Build every serving index now (at training, not on a request)."""
        for key in self.popularity:
            self.order(key)
            self.share(key)
        self.category_scaled_total()
        self.by_category()
        self.by_family()
        self.young_by_category(config.exploration_item_age_cutoff)
        self.serving, self.cache = dict(self.cache), {}


def members(index: tuple[Any, Any], group: int) -> Any:
    """Group ``group`` of an index from :func:`.popularity.grouped` (empty if out of range)."""
    indices, bounds = index
    if group < 0 or group + 1 >= len(bounds):
        return indices[:0]
    return indices[bounds[group]:bounds[group + 1]]


def readiness(data: Interactions, config: EngineConfig) -> dict[str, UseCaseStatus]:
    """Each use case's readiness under the scaled Personalize minimums."""
    n = len(data.item)
    per_user = np.bincount(data.user, minlength=data.n_users) if n else np.zeros(0, dtype=int)
    active = int((per_user >= 2).sum())
    views = int(data.type_mask(config.view_event_type).sum())
    purchases = int(data.type_mask(config.purchase_event_type).sum())
    need_all = config.minimum("interactions")
    need_users = config.minimum("users_with_two_interactions")
    base = ""
    if n < need_all:
        base = f"{n} interactions, {need_all} needed"
    elif active < need_users:
        base = f"{active} users with 2 or more interactions, {need_users} needed"
    elif data.n_users and active < 0.01 * data.n_users:
        base = f"only {active} of {data.n_users} users have 2 or more interactions (1% needed)"

    def status(count: int | None, kind: str) -> UseCaseStatus:
        if base:
            return UseCaseStatus(False, base)
        if count is not None and count < config.minimum(kind):
            return UseCaseStatus(False, f"{count} {kind} events, {config.minimum(kind)} needed")
        return UseCaseStatus(True)

    return {
        RECOMMENDED_FOR_YOU: status(None, ""),
        ALSO_VIEWED: status(views, config.view_event_type and "View"),
        BOUGHT_TOGETHER: status(purchases, "Purchase"),
        BEST_SELLERS: status(purchases, "Purchase"),
        MOST_VIEWED: status(views, "View"),
    }


def build(
    store: Store, config: EngineConfig, *, upto_seq: int | None = None, extra_item_ids: Sequence[str] = ()
) -> Model:
    """Train every part from the store's current content (a consistent
    snapshot up to ``upto_seq``, by default the last stored event;
    ``extra_item_ids`` join the catalogue)."""
    started = time.perf_counter()
    if upto_seq is None:
        upto_seq = store.max_seq()
    total_events = store.count_events(upto_seq) if upto_seq else 0
    if upto_seq:  # a real training, not the untrained placeholder
        store.prune_served(time.time() - config.served_retention_days * 86400)
    data = load(store, config, upto_seq=upto_seq, extra_item_ids=extra_item_ids)
    reference = float(data.ts.max()) if len(data.ts) else time.time()
    item_index = {item_id: i for i, item_id in enumerate(data.item_ids)}

    names: dict[str, int] = {}
    category = np.full(data.n_items, -1, dtype=np.int32)
    for i, props in enumerate(data.item_properties):
        name = first_category(props.get("CATEGORY_L1"))
        if name is not None:
            category[i] = names.setdefault(name, len(names))

    family = complements.families(data.item_properties)
    status = readiness(data, config)
    has_data = len(data.item) > 0
    report = TrainingReport(
        model_version=uuid.uuid4().hex[:12],
        events=int(total_events or 0),
        interactions=len(data.item),
        items=data.n_items,
        users=data.n_users,
        event_types={name: int((data.etype == i).sum()) for i, name in enumerate(data.type_names)},
        seconds=0.0,
        use_cases=status,
        similarity=("ease" if data.n_items <= config.ease_max_items else "knn") if has_data else "",
    )
    model = Model(
        version=report.model_version,
        trained_at=time.time(),
        reference_time=reference,
        item_ids=data.item_ids,
        item_index=item_index,
        item_properties=data.item_properties,
        category=category,
        category_names=list(names),
        popularity=popularity.popularity_scores(data, config, reference),
        also_viewed=cooccurrence.also_viewed(data, config),
        bought_together=complements.bought_together(data, config, family),
        personal=personal.build(data, config) if has_data else None,
        age_days=exploration.item_ages(data, reference),
        exposure=exploration.exposure(data, item_index),
        report=report,
        context=context.build(store, item_index, config.context_prior, upto_seq=upto_seq) if has_data else None,
        family=family,
        family_affinity=complements.family_affinity(data, config, family),
    )
    model.prepare(config)
    model.report = replace(report, seconds=time.perf_counter() - started)
    return model


def untrained(store: Store, config: EngineConfig, item_ids: Sequence[str] = ()) -> Model:
    """The model of an engine that has not trained yet: the catalogue (and
    ``item_ids``, the items of the events stored so far), no events, every
    use case a fallback that says so."""
    model = build(store, config, upto_seq=0, extra_item_ids=item_ids)
    reason = "no model has been trained yet"
    model.version = "untrained"
    model.report = replace(
        model.report,
        model_version="untrained",
        use_cases={name: UseCaseStatus(False, reason) for name in model.report.use_cases},
    )
    return model
