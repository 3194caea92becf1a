"""The training snapshot: stored events and items turned into integer arrays.

Training never works on strings: items, users, sessions and event types are
numbered once here, and every model is built from these arrays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..records import schema_properties
from ._deps import np
from .config import EngineConfig
from .store import Store


def first_category(value: Any) -> str | None:
    """The first of a ``|``-separated multi-value (``"Shoes|Sale"`` -> ``"Shoes"``)."""
    if value is None:
        return None
    text = str(value).split("|")[0].strip()
    return text or None


def parse_timestamp(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    # Accept milliseconds too (a common slip): anything past year 5000 in seconds is ms.
    return number / 1000.0 if number > 1e11 else number


@dataclass
class Interactions:
    """Item events as parallel arrays, sorted by user then time."""

    item_ids: list[str]            # item index -> id (catalogue items first)
    item_properties: list[dict]    # item index -> schema-spelled properties
    user_ids: list[str]            # user index -> id (a guest session not joined to a user: the session id)
    type_names: list[str]          # type index -> event type
    item: Any                      # int32[n]
    user: Any                      # int32[n]
    session: Any                   # int32[n]
    etype: Any                     # int16[n]
    ts: Any                        # float64[n]
    weight: Any                    # float32[n]
    shown: list[tuple[list[str], set[str]]]   # (items shown, items chosen) per impression group
    #: item id -> times it was in a served list that no event referenced
    unclicked: dict[str, int] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def type_mask(self, name: str) -> Any:
        if name not in self.type_names:
            return np.zeros(len(self.item), dtype=bool)
        return self.etype == self.type_names.index(name)


def load(
    store: Store, config: EngineConfig, *, upto_seq: int | None = None, extra_item_ids: Sequence[str] = ()
) -> Interactions:
    """Read the store (events up to ``upto_seq``) into :class:`Interactions`;
    ``extra_item_ids`` join the catalogue (the items of events not read)."""
    item_index: dict[str, int] = {}
    item_ids: list[str] = []
    item_properties: list[dict] = []
    for item_id, props in store.item_rows():
        item_index[item_id] = len(item_ids)
        item_ids.append(item_id)
        item_properties.append(schema_properties(json.loads(props)) if props else {})
    for item_id in extra_item_ids:
        if item_id not in item_index:
            item_index[item_id] = len(item_ids)
            item_ids.append(item_id)
            item_properties.append({})

    users: dict[str, int] = {}
    sessions: dict[str, int] = {}
    types: dict[str, int] = {}
    cols: dict[str, list] = {k: [] for k in ("item", "user", "session", "etype", "ts")}
    groups: dict[Any, tuple[list[str], set[str]]] = {}
    referenced: dict[str, list[str]] = {}   # recommendation id -> chosen items
    explicit: set[str] = set()              # recommendation ids of events with explicit impressions
    # A guest's events belong to the user whose event first carries their
    # session id (the Login event): how Personalize joins an anonymous history
    # at training. That event may come later in the stream, so guest rows get
    # their user once everything is read.
    session_user: dict[str, str] = {}
    guest_rows: list[tuple[int, str]] = []   # (position in cols, session id)
    for rows in store.iter_event_rows(upto_seq=upto_seq):
        for seq, event_type, session_id, user_id, item_id, ts, rec_id, impression in rows:
            if user_id is not None:
                session_user.setdefault(session_id, user_id)
            if item_id is None:
                continue
            index = item_index.get(item_id)
            if index is None:
                index = item_index[item_id] = len(item_ids)
                item_ids.append(item_id)
                item_properties.append({})
            cols["item"].append(index)
            if user_id is None:
                guest_rows.append((len(cols["user"]), session_id))
                cols["user"].append(-1)
            else:
                cols["user"].append(users.setdefault(user_id, len(users)))
            cols["session"].append(sessions.setdefault(session_id, len(sessions)))
            cols["etype"].append(types.setdefault(event_type, len(types)))
            cols["ts"].append(ts)
            if impression:
                # Explicit impressions win over the implicit ones of a recommendation id.
                groups[("event", seq)] = (json.loads(impression), {item_id})
                if rec_id:
                    explicit.add(rec_id)
            elif rec_id:
                referenced.setdefault(rec_id, []).append(item_id)
    for position, session_id in guest_rows:
        # An anonymous session never joined keeps the session id as its user id.
        owner = session_user.get(session_id, session_id)
        cols["user"][position] = users.setdefault(owner, len(users))
    known = store.served_lists(list(referenced) + sorted(explicit - set(referenced)))
    for rec_id, shown in known.items():
        if rec_id in referenced and rec_id not in explicit:
            groups[("rec", rec_id)] = (shown, set(referenced[rec_id]))
    # A list nobody acted on was still seen, and its items must make way for
    # others: every served list counts, those above once (SQLite sums the rest).
    unclicked = dict(store.served_item_counts())
    for shown in known.values():
        for item_id in shown:
            unclicked[item_id] = unclicked.get(item_id, 0) - 1

    type_names = list(types)
    etype = np.asarray(cols["etype"], dtype=np.int16)
    weights_by_type = np.asarray([config.weight(t) for t in type_names] or [0.0], dtype=np.float32)
    user = np.asarray(cols["user"], dtype=np.int32)
    ts = np.asarray(cols["ts"], dtype=np.float64)
    # Stable sort by (user, ts): ties keep their storage order.
    order = np.lexsort((np.arange(len(ts)), ts, user))
    return Interactions(
        item_ids=item_ids,
        item_properties=item_properties,
        user_ids=list(users),
        type_names=type_names,
        item=np.asarray(cols["item"], dtype=np.int32)[order],
        user=user[order],
        session=np.asarray(cols["session"], dtype=np.int32)[order],
        etype=etype[order],
        ts=ts[order],
        weight=weights_by_type[etype][order] if len(etype) else np.zeros(0, dtype=np.float32),
        shown=list(groups.values()),
        unclicked={item_id: count for item_id, count in unclicked.items() if count > 0},
    )
