"""The engine's settings, with their defaults, in one frozen dataclass.

Every field can be passed to :class:`~personalize_sdk.backends.local.LocalBackend`
as a keyword option; an unknown option is a
:class:`~personalize_sdk.exceptions.ConfigurationError` naming it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..exceptions import ConfigurationError

#: How much one event of each type counts (a Purchase says more than a View).
#: Types not listed count ``default_event_weight``.
DEFAULT_EVENT_WEIGHTS: dict[str, float] = {"Purchase": 4.0, "AddToCart": 2.0, "Click": 1.0, "View": 1.0}

#: Personalize's training minimums (reference 6.1 and 4.3), before ``min_data_scale``.
PERSONALIZE_MINIMUMS: dict[str, int] = {
    "interactions": 1000,
    "users_with_two_interactions": 25,
    "View": 1000,
    "Purchase": 1000,
}


@dataclass(frozen=True)
class EngineConfig:
    """Settings of the local engine. See ``docs/engine.rst`` for the why of each."""

    # -- what events mean ------------------------------------------------
    #: weight of one event, by event type
    event_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    #: weight of event types missing from ``event_weights``
    default_event_weight: float = 1.0
    #: the event type that makes a best seller (and a co-purchase)
    purchase_event_type: str = "Purchase"
    #: the event type that makes a most-viewed item
    view_event_type: str = "View"

    # -- popularity ------------------------------------------------------
    #: only events this many days before the latest event count for popularity
    popularity_window_days: float = 30.0
    #: an event's weight halves every this many days (time decay)
    popularity_half_life_days: float = 7.0

    # -- co-occurrence (also viewed, bought together) ---------------------
    #: what makes a "basket" of items seen together: "session" or "user"
    basket: str = "session"
    #: longer baskets keep only their latest items (a bot session is not a signal)
    max_basket_size: int = 50
    #: neighbours kept per item
    neighbours: int = 100
    #: 0 = raw co-occurrence counts, 1 = full cosine normalisation (popular items damped)
    also_viewed_normalisation: float = 0.5
    #: co-purchases (explained ones, see :mod:`.complements`) under which a
    #: pair's score is damped by ``e / (e + min_support - 1)``; 1 counts a
    #: single co-purchase in full
    bought_together_min_support: int = 2
    #: a co-purchase of two items of one family (their most specific category)
    #: counts this much: substitutes rank below complements
    bought_together_substitute_penalty: float = 0.1

    # -- recommended for you ----------------------------------------------
    #: recent events read per request to score from
    history_length: int = 500
    #: weight of the k-th most recent event in the similarity part:
    #: ``history_floor + history_decay ** k`` (the transition part: ``transition_decay ** k``)
    history_decay: float = 0.93
    #: weight every event of the history keeps however old, so the whole profile
    #: counts as it does for EASE; 0 = recency alone
    history_floor: float = 0.3
    #: and an event's weight halves for every this many days it is older than the
    #: user's latest event (a new visit weeks later is a new intent); None: off
    history_half_life_days: float | None = 7.0
    #: share of the score from the next-item (transition) model, the rest from item similarity
    transition_weight: float = 0.3
    #: the same share when the similarity is item-kNN (catalogues beyond ``ease_max_items``)
    knn_transition_weight: float = 0.5
    #: the transition model's own position decay (it is about what comes *next*)
    transition_decay: float = 0.7
    #: EASE regularisation (for catalogues up to ``ease_max_items``; item-kNN beyond)
    ease_lambda: float = 300.0
    ease_max_items: int = 3000
    #: popularity damping of the transition model's targets, 0..1
    transition_popularity_damping: float = 0.3
    #: event types whose items are not recommended again to the same user ("all" for every type)
    exclude_event_types: tuple[str, ...] | str = ("Purchase",)

    # -- training's memory ------------------------------------------------
    #: item x item pair counts (also viewed, item-kNN) are built in blocks of
    #: rows of about this many pairs, keeping each row's best neighbours, so
    #: memory stays bounded however large the catalogue (about 50 bytes a pair)
    training_block_size: int = 4_000_000

    # -- exploration (Personalize's itemExplorationConfig) -----------------
    #: share of recommended-for-you slots given to young, little-seen items (0 = none)
    exploration_weight: float = 0.3
    #: only items younger than this many days (from the latest event) are explored
    exploration_item_age_cutoff: float = 30.0
    #: explored items are drawn per visitor and per time bucket of this many
    #: seconds: they hold still while a visitor browses and rotate after
    exploration_rotation_seconds: float = 3600.0

    # -- readiness -------------------------------------------------------
    #: multiplies Personalize's training minimums (1000 interactions...); e.g. 0.01 for a small shop
    min_data_scale: float = 1.0
    #: filters, and the "already purchased" rule, see the latest this-many
    #: interactions per user and event type (Personalize: 100)
    filter_interactions_per_type: int = 100
    #: a user's events read per request (for scoring, exclusions and filters)
    history_scan: int = 500

    # -- serving ---------------------------------------------------------
    #: temperature of the softmax that turns recommended-for-you and ranking
    #: scores into probabilities (lower: the best items take more of the mass)
    score_temperature: float = 0.2
    #: how strongly a request's ``context`` reweighs items by how often they were
    #: used in that context (the exponent of the lift; 0 = context ignored)
    context_weight: float = 1.0
    #: events of pseudo-count that pull an item's context lift toward 1
    context_prior: float = 10.0
    #: remember the items of each recommendation id (implicit impressions for exploration)
    record_impressions: bool = True
    #: served lists older than this many days are deleted at training time
    served_retention_days: float = 30.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.exploration_weight <= 1.0:
            raise ConfigurationError("exploration_weight must be between 0 and 1")
        if self.exploration_item_age_cutoff < 1:
            raise ConfigurationError("exploration_item_age_cutoff must be at least 1 (day), as in Personalize")
        if self.exploration_rotation_seconds <= 0:
            raise ConfigurationError("exploration_rotation_seconds must be positive")
        if not 0 <= self.bought_together_substitute_penalty <= 1:
            raise ConfigurationError("bought_together_substitute_penalty must be between 0 and 1")
        if self.basket not in ("session", "user"):
            raise ConfigurationError("basket must be 'session' or 'user'")
        if self.history_half_life_days is not None and self.history_half_life_days <= 0:
            raise ConfigurationError("history_half_life_days must be positive (or None)")
        if self.history_floor < 0:
            raise ConfigurationError("history_floor must be zero or positive")
        if self.score_temperature <= 0:
            raise ConfigurationError("score_temperature must be positive")
        if self.context_weight < 0 or self.context_prior <= 0:
            raise ConfigurationError("context_weight must be zero or positive, context_prior positive")
        if self.min_data_scale <= 0:
            raise ConfigurationError("min_data_scale must be positive")
        for name in ("transition_weight", "knn_transition_weight"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigurationError(f"{name} must be between 0 and 1")
        for name in ("history_length", "history_scan", "filter_interactions_per_type", "neighbours", "max_basket_size", "bought_together_min_support",
                     "training_block_size"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be at least 1")
        for name in ("history_decay", "transition_decay"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigurationError(f"{name} must be in (0, 1]")
        if isinstance(self.exclude_event_types, str):
            if self.exclude_event_types != "all":
                object.__setattr__(self, "exclude_event_types", (self.exclude_event_types,))
        else:
            object.__setattr__(self, "exclude_event_types", tuple(self.exclude_event_types))
        object.__setattr__(self, "event_weights", dict(self.event_weights))

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, owner: str = "local") -> "EngineConfig":
        """Build from keyword options, naming any unknown one."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigurationError(f"Unknown option(s) for the {owner} backend: {', '.join(unknown)}")
        return cls(**options)

    def weight(self, event_type: str) -> float:
        return float(self.event_weights.get(event_type, self.default_event_weight))

    def minimum(self, name: str) -> int:
        """Personalize's minimum ``name`` scaled by ``min_data_scale`` (at least 1)."""
        return max(1, math.ceil(PERSONALIZE_MINIMUMS[name] * self.min_data_scale))

    def excludes(self, event_type: str) -> bool:
        return self.exclude_event_types == "all" or event_type in self.exclude_event_types
