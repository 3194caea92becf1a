"""Filters inside the engine: the item catalogue, compiled filters, request context.

The expression language and its evaluation live in
:mod:`personalize_sdk.filters.evaluate`; this module feeds it the engine's
data. A filter is compiled once per (filter name, model version) against the
model's item catalogue and then evaluated per request into a boolean mask
over the catalogue, which is applied *before* the list is cut to
``num_results``, so a filtered list is still full when the catalogue allows.

What a request may show is an :class:`Allowed`: that mask (none without a
filter) minus a few items (the current item, what the user bought). It is
asked about candidates only, never turned into a vector over the catalogue:
:meth:`Allowed.test` answers for a list of item indices, and
:meth:`Allowed.first` walks an order computed at training (the popularity
order, a category's) and takes its first allowed items, so a request costs
what it looks at, not the size of the catalogue.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, Sequence

from ..exceptions import ConfigurationError
from ._deps import np

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


class Allowed:
    """The items one request may show: ``mask`` (a boolean per item; None:
    every item) minus the ``excluded`` item indices."""

    def __init__(self, size: int, mask: Any = None, excluded: Any = ()) -> None:
        self.size = size
        self.mask = mask
        self.excluded = np.unique(np.asarray(excluded, dtype=np.intp))

    def without(self, indices: Any) -> "Allowed":
        """The same, minus ``indices`` too."""
        more = np.asarray(list(indices) if not isinstance(indices, np.ndarray) else indices, dtype=np.intp)
        return Allowed(self.size, self.mask, np.concatenate((self.excluded, more)))

    def test(self, indices: Any) -> Any:
        """A boolean per index of ``indices``: whether the request may show it."""
        indices = np.asarray(indices, dtype=np.intp)
        ok = self.mask[indices] if self.mask is not None else np.ones(len(indices), dtype=bool)
        if len(self.excluded) and len(indices):
            ok &= ~np.isin(indices, self.excluded)
        return ok

    def __contains__(self, index: int) -> bool:
        return bool(self.test([index])[0])

    def dense(self) -> Any:
        """The boolean vector over the catalogue (for the few paths that score it all)."""
        mask = np.ones(self.size, dtype=bool) if self.mask is None else np.array(self.mask, dtype=bool)
        mask[self.excluded] = False
        return mask

    def first(self, order: Any, n: int, keep: Any = None) -> Any:
        """The first ``n`` allowed indices of ``order`` (and, with ``keep``, a
        function of a chunk of indices giving booleans, those it keeps too),
        walked in chunks that grow fourfold: a filter that allows only items
        far down the order still gets them, at the cost of reading that far."""
        found, count, start = [], 0, 0
        size = n + len(self.excluded) + 32
        while count < n and start < len(order):
            chunk = order[start:start + size]
            ok = self.test(chunk)
            if keep is not None:
                ok &= keep(chunk)
            found.append(chunk[ok])
            count += len(found[-1])
            start += size
            size *= 4
        return np.concatenate(found)[:n] if found else np.asarray(order[:0], dtype=np.intp)


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
