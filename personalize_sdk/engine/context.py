"""Contextual metadata: what the request's ``context`` changes.

Personalize takes a request's ``context`` (``{"DEVICE": "phone"}``) as values
of metadata columns of the Item interactions dataset, recorded with each
event. PutEvents sends those columns in the event's ``properties``, in
camelCase (``{"device": "phone"}``); the local engine stores them with the
event and, at training, counts per column and value how often each item was
interacted with in that context.

At request time (recommended for you and personalized ranking, the use cases
Personalize lets use context) each item's probability is multiplied by its
*lift* for the request's context, raised to ``context_weight``::

    lift = ((n_iv + prior * p_v) / (n_i + prior)) / p_v

where ``n_iv`` counts the item's events with value ``v``, ``n_i`` its events
with the column set, ``p_v`` the share of ``v`` among all events with the
column, and ``prior`` (``context_prior``) pulls items with few events toward
a lift of 1. An item used on phones twice as often as the average item gets a
lift near 2 for ``{"DEVICE": "phone"}``. A context key that no stored event
has, or a value never seen, changes nothing. As in Personalize, context is a
scoring signal only: filters on Interactions see event types, not context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from ..records import schema_key
from ._deps import np, sp
from .store import Store


@dataclass
class Column:
    """One metadata column: its values, and how often each item was used with each."""

    values: dict[str, int]   # value -> row
    counts: Any              # CSR float64, values x items
    per_item: Any            # float64 per item: events with the column set
    per_value: Any           # float64 per value: events with that value


@dataclass
class ContextModel:
    """The metadata columns of the stored events, in the schema spelling."""

    columns: dict[str, Column]
    prior: float

    def lift(self, context: Mapping[str, str] | None) -> Any | None:
        """Each item's lift for ``context`` (a float64 vector), or ``None``
        when no key and value of the context was seen in the stored events."""
        result = None
        for key, value in (context or {}).items():
            column = self.columns.get(schema_key(key))
            row = column.values.get(str(value)) if column is not None else None
            if row is None:
                continue
            share = column.per_value[row] / column.per_value.sum()
            in_context = column.counts[row].toarray().ravel()
            lift = (in_context + self.prior * share) / (column.per_item + self.prior) / share
            result = lift if result is None else result * lift
        return result


def build(store: Store, item_index: Mapping[str, int], prior: float, *, upto_seq: int | None = None) -> ContextModel:
    """Count, per metadata column and value, each item's events (items of
    ``item_index`` only; the events up to ``upto_seq``)."""
    cells: dict[str, dict[tuple[int, int], int]] = {}
    values: dict[str, dict[str, int]] = {}
    decoded: dict[str, dict] = {}  # most events share a few distinct property strings
    for item_id, properties, count in store.event_property_counts(upto_seq=upto_seq):
        index = item_index.get(item_id)
        if index is None:
            continue
        fields = decoded.get(properties)
        if fields is None:
            try:
                fields = json.loads(properties)
            except ValueError:
                fields = {}
            decoded[properties] = fields = fields if isinstance(fields, dict) else {}
        for key, value in fields.items():
            # Context values are categorical strings; lists and objects are not context.
            if isinstance(value, (dict, list)) or value is None:
                continue
            column = schema_key(key)
            rows = values.setdefault(column, {})
            row = rows.setdefault(str(value), len(rows))
            cell = cells.setdefault(column, {})
            cell[(row, index)] = cell.get((row, index), 0) + count
    columns = {}
    for column, cell in cells.items():
        keys = np.asarray(list(cell), dtype=np.int64).reshape(-1, 2)
        counts = sp.csr_matrix(
            (np.asarray(list(cell.values()), dtype=np.float64), (keys[:, 0], keys[:, 1])),
            shape=(len(values[column]), len(item_index)),
        )
        columns[column] = Column(
            values[column], counts, np.asarray(counts.sum(axis=0)).ravel(), np.asarray(counts.sum(axis=1)).ravel()
        )
    return ContextModel(columns, prior)
