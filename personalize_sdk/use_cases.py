"""Validated recommendation and ranking requests, as backends receive them.

:class:`~personalize_sdk.client.Client` takes one ready-made, or builds it
from its keyword arguments; a backend gets a request that already obeys the use case's rules
and Personalize's limits, so backends only translate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .exceptions import InvalidRequestError
from .filters.values import FilterValue, normalize_filter_values

#: personalized: needs ``user_id``
RECOMMENDED_FOR_YOU = "recommended_for_you"
#: customers who viewed X also viewed: needs ``item_id``
ALSO_VIEWED = "also_viewed"
#: frequently bought together: needs ``item_id``
BOUGHT_TOGETHER = "bought_together"
#: most purchased items lately
BEST_SELLERS = "best_sellers"
#: most viewed items lately
MOST_VIEWED = "most_viewed"

#: every use case, with the id it needs (``None``: neither)
USE_CASES: dict[str, str | None] = {
    RECOMMENDED_FOR_YOU: "user_id",
    ALSO_VIEWED: "item_id",
    BOUGHT_TOGETHER: "item_id",
    BEST_SELLERS: None,
    MOST_VIEWED: None,
}

MAX_NUM_RESULTS = 500
MAX_RANKING_INPUT = 500
MAX_CONTEXT_ENTRIES = 150
MAX_CONTEXT_KEY_LENGTH = 150
MAX_CONTEXT_VALUE_LENGTH = 1000
_CONTEXT_KEY = re.compile(r"^[A-Za-z\d_]+$")


def check_use_case(use_case: str) -> str:
    if use_case not in USE_CASES:
        known = ", ".join(sorted(USE_CASES))
        raise InvalidRequestError("use_case", f"unknown use case {use_case!r}; known use cases: {known}")
    return use_case


def _check_id(value, name: str) -> str | None:  # type: ignore[no-untyped-def]
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(name, "must be a non-empty string")
    if len(value) > 256:
        raise InvalidRequestError(name, f"must be at most 256 characters (got {len(value)})")
    return value


def check_context(context: Mapping[str, str] | None) -> dict[str, str]:
    if not context:
        return {}
    if not isinstance(context, Mapping):
        raise InvalidRequestError("context", "must be a mapping of column name to string")
    if len(context) > MAX_CONTEXT_ENTRIES:
        raise InvalidRequestError("context", f"must have at most {MAX_CONTEXT_ENTRIES} entries")
    checked = {}
    for key, value in context.items():
        if not isinstance(key, str) or not _CONTEXT_KEY.match(key) or len(key) > MAX_CONTEXT_KEY_LENGTH:
            raise InvalidRequestError(
                f"context[{key!r}]", f"keys must match [A-Za-z0-9_]+ and be at most {MAX_CONTEXT_KEY_LENGTH} characters"
            )
        if not isinstance(value, str) or len(value) > MAX_CONTEXT_VALUE_LENGTH:
            raise InvalidRequestError(
                f"context[{key!r}]", f"values must be strings of at most {MAX_CONTEXT_VALUE_LENGTH} characters"
            )
        checked[key] = value
    return checked


@dataclass(frozen=True)
class RecommendationRequest:
    """A request for one use case, checked against its rules."""

    use_case: str
    user_id: str | None = None
    item_id: str | None = None
    num_results: int = 10
    filter: str | None = None
    filter_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        check_use_case(self.use_case)
        set_(self, "user_id", _check_id(self.user_id, "user_id"))
        set_(self, "item_id", _check_id(self.item_id, "item_id"))
        needs = USE_CASES[self.use_case]
        if needs and getattr(self, needs) is None:
            raise InvalidRequestError(needs, f"is required for the {self.use_case!r} use case")
        if isinstance(self.num_results, bool) or not isinstance(self.num_results, int):
            raise InvalidRequestError("num_results", "must be an integer")
        if not 1 <= self.num_results <= MAX_NUM_RESULTS:
            raise InvalidRequestError("num_results", f"must be between 1 and {MAX_NUM_RESULTS}")
        if self.filter is not None and (not isinstance(self.filter, str) or not self.filter):
            raise InvalidRequestError("filter", "must be the name of a configured filter")
        set_(self, "filter_values", normalize_filter_values(self.filter_values))
        set_(self, "context", check_context(self.context))

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-able values (cache keys, logs)."""
        return _as_dict(self)


def _as_dict(request: Any) -> dict[str, Any]:
    data = {name: getattr(request, name) for name in request.__dataclass_fields__}
    data["filter_values"] = {k: list(v) for k, v in request.filter_values.items()}
    data["context"] = dict(request.context)
    if "item_ids" in data:
        data["item_ids"] = list(data["item_ids"])
    return data


@dataclass(frozen=True)
class RankingRequest:
    """Personalized ranking of ``item_ids`` for ``user_id``."""

    user_id: str
    item_ids: tuple[str, ...]
    filter: str | None = None
    filter_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        user_id = _check_id(self.user_id, "user_id")
        if user_id is None:
            raise InvalidRequestError("user_id", "is required for ranking")
        set_(self, "user_id", user_id)
        if isinstance(self.item_ids, (str, bytes)):
            raise InvalidRequestError("item_ids", "must be a list of item ids, not a string")
        ids = tuple(_check_id(v, f"item_ids[{i}]") for i, v in enumerate(self.item_ids))
        if not ids:
            raise InvalidRequestError("item_ids", "must hold at least one item id")
        if len(ids) > MAX_RANKING_INPUT:
            raise InvalidRequestError("item_ids", f"must hold at most {MAX_RANKING_INPUT} item ids (got {len(ids)})")
        set_(self, "item_ids", ids)
        if self.filter is not None and (not isinstance(self.filter, str) or not self.filter):
            raise InvalidRequestError("filter", "must be the name of a configured filter")
        set_(self, "filter_values", normalize_filter_values(self.filter_values))
        set_(self, "context", check_context(self.context))

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-able values (cache keys, logs)."""
        return _as_dict(self)
