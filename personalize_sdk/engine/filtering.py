"""Filters inside the engine: the item catalogue, compiled filters, request context.

The expression language and its evaluation live in
:mod:`personalize_sdk.filters.evaluate`; this module feeds it the engine's
data. A filter is compiled once per (filter name, model version) against the
model's item catalogue and then evaluated per request into a boolean mask
over the catalogue, which is applied *before* the list is cut to
``num_results``, so a filtered list is still full when the catalogue allows.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, Sequence

from ..exceptions import ConfigurationError

_lock = threading.Lock()


def _evaluator() -> Any:
    try:
        from ..filters import evaluate
    except ModuleNotFoundError as err:  # the evaluator ships with the filters package
        if err.name and err.name.endswith("filters.evaluate"):
            raise ConfigurationError(
                "Filters need personalize_sdk.filters.evaluate, which is not available in this installation"
            ) from err
        raise
    return evaluate


def interactions_by_type(history: Sequence[tuple[str, str, float]], per_type: int) -> dict[str, list[str]]:
    """``{event type: [item ids, most recent first]}``, at most ``per_type``
    each, from a history of ``(item_id, event_type, ts)`` (most recent first)."""
    result: dict[str, list[str]] = {}
    for item_id, event_type, _ts in history:
        items = result.setdefault(event_type, [])
        if len(items) < per_type:
            items.append(item_id)
    return result


class FilterSet:
    """The named filters of one engine, compiled lazily per model."""

    def __init__(self, filters: Mapping[str, Any] | None = None) -> None:
        self.filters: dict[str, Any] = dict(filters or {})

    def configure(self, filters: Mapping[str, Any]) -> None:
        self.filters = dict(filters)
        if self.filters:
            _evaluator()  # fail at configuration time, not at the first request

    def check(self, name: str | None) -> None:
        if name is not None and name not in self.filters:
            known = ", ".join(sorted(self.filters)) or "none are configured"
            raise ConfigurationError(f"Unknown filter {name!r} (known filters: {known})")

    def _compiled(self, model: Any, name: str) -> Any:
        key = ("filter", name)
        compiled = model.cache.get(key)
        if compiled is None:
            evaluate = _evaluator()
            with _lock:
                compiled = model.cache.get(key)
                if compiled is None:
                    catalog = model.cache.get("catalog")
                    if catalog is None:
                        catalog = model.cache["catalog"] = evaluate.ItemCatalog(
                            model.item_ids, model.item_properties
                        )
                    compiled = model.cache[key] = evaluate.compile_filter(self.filters[name], catalog)
        return compiled

    def mask(
        self,
        model: Any,
        name: str,
        *,
        values: Mapping[str, Sequence[str]],
        user_properties: Mapping[str, Any] | None,
        interactions: Mapping[str, list[str]] | None,
        current_item: str | None,
    ) -> Any:
        """Boolean mask over ``model``'s items: True where filter ``name`` lets the item through."""
        self.check(name)
        evaluate = _evaluator()
        context = evaluate.FilterContext(
            values=dict(values),
            user_properties=dict(user_properties) if user_properties is not None else None,
            interactions=dict(interactions) if interactions is not None else None,
            current_item=current_item,
        )
        return self._compiled(model, name).mask(context)
