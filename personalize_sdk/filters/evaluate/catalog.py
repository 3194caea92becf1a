"""The item catalog the local engine filters, indexed once per field.

Part of the evaluator package, which needs numpy; nothing outside
:mod:`personalize_sdk.filters.evaluate` imports this module.

Each field a filter uses becomes a :class:`Column` the first time it is asked
for: an inverted index from each string value to the item positions holding
it, an index from each whole value to positions (for ``=`` on strings), and
the numeric values sorted once so that ``<``, ``<=``, ``>``, ``>=``, ``=`` and
``!=`` are a binary search. Building a column is the only time item
properties are read; a request's mask only touches these arrays.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def property_value(properties: Optional[Mapping[str, Any]], name: str) -> Any:
    """``properties[name]``, the key matched ignoring case when it is not
    there as written (filters ignore the case of field names, and the parsed
    tree upper-cases them), or None."""
    if not properties:
        return None
    if name in properties:
        return properties[name]
    folded = name.casefold()
    for key, value in properties.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def as_number(value: Any) -> Optional[float]:
    """``value`` as a finite float, or None when it is not a number.

    Strings count when they spell a plain decimal number (``"19.99"``,
    ``"1596238243"``), since Personalize's data arrives as CSV text.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> Optional[str]:
    """The whole value as one string (``"a|b"`` stays ``"a|b"``), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def as_tokens(value: Any) -> Tuple[str, ...]:
    """The string values of a (possibly multi-valued, ``|``-separated) value."""
    text = as_text(value)
    if not text:
        return ()
    return tuple(part for part in text.split("|") if part)


class _Index:
    """An inverted index, value -> ascending item positions, kept as one
    array sliced per value (a dict of 50,000 tiny arrays costs far more to
    build)."""

    def __init__(self, keys: List[str], positions: List[int]) -> None:
        codes: Dict[str, int] = {}
        key_codes = np.asarray([codes.setdefault(key, len(codes)) for key in keys], dtype=np.intp)
        order = np.argsort(key_codes, kind="stable")
        self.positions = np.asarray(positions, dtype=np.intp)[order]
        self.bounds = np.concatenate(([0], np.cumsum(np.bincount(key_codes, minlength=len(codes)))))
        self.codes = codes

    def get(self, key: str) -> Optional[np.ndarray]:
        code = self.codes.get(key)
        if code is None:
            return None
        return self.positions[self.bounds[code] : self.bounds[code + 1]]

    def __len__(self) -> int:
        return len(self.codes)


class Column:
    """One field of the catalog, indexed for filtering."""

    def __init__(self, name: str, raw: List[Any]) -> None:
        self.name = name
        #: The raw value per item (read for CurrentItem, never per request).
        self.raw = raw
        size = len(raw)
        numbers = np.full(size, np.nan)
        has_value = np.zeros(size, dtype=bool)
        token_keys: List[str] = []
        token_positions: List[int] = []
        text_keys: List[str] = []
        text_positions: List[int] = []
        for position, value in enumerate(raw):
            text = as_text(value)
            if text is None:
                continue
            has_value[position] = True
            text_keys.append(text)
            text_positions.append(position)
            # The common single-valued case skips the split and the set.
            if "|" in text:
                for token in {part for part in text.split("|") if part}:
                    token_keys.append(token)
                    token_positions.append(position)
            elif text:
                token_keys.append(text)
                token_positions.append(position)
            number = as_number(value)
            if number is not None:
                numbers[position] = number
        self.size = size
        self.has_value = has_value
        self.tokens = _Index(token_keys, token_positions)
        self.texts = _Index(text_keys, text_positions)
        valid = np.flatnonzero(~np.isnan(numbers))
        self.order = valid[np.argsort(numbers[valid], kind="stable")]
        self.sorted = numbers[self.order]

    def any_of(self, values: Iterable[str]) -> np.ndarray:
        """Items holding at least one of ``values`` (exact match)."""
        mask = np.zeros(self.size, dtype=bool)
        for value in values:
            positions = self.tokens.get(value)
            if positions is not None:
                mask[positions] = True
        return mask

    def equals_text(self, text: str, negated: bool = False) -> np.ndarray:
        """Items whose whole value is ``text`` (or, negated, has a value that is not)."""
        mask = np.zeros(self.size, dtype=bool)
        positions = self.texts.get(text)
        if positions is not None:
            mask[positions] = True
        if negated:
            np.logical_not(mask, out=mask)
            mask &= self.has_value
        return mask

    def compare(self, operator: str, number: float) -> np.ndarray:
        """Items with a numeric value ``v`` for which ``v <operator> number``."""
        left = int(np.searchsorted(self.sorted, number, side="left"))
        right = int(np.searchsorted(self.sorted, number, side="right"))
        order = self.order
        if operator == "<":
            selected = order[:left]
        elif operator == "<=":
            selected = order[:right]
        elif operator == ">":
            selected = order[right:]
        elif operator == ">=":
            selected = order[left:]
        elif operator == "=":
            selected = order[left:right]
        elif operator == "!=":
            mask = np.zeros(self.size, dtype=bool)
            mask[order[:left]] = True
            mask[order[right:]] = True
            return mask
        else:
            raise ValueError(f"unknown operator {operator!r}")
        mask = np.zeros(self.size, dtype=bool)
        mask[selected] = True
        return mask


class ItemCatalog:
    """The items a filter chooses from: ``item_ids[i]`` has ``properties[i]``.

    Property keys are schema column names (``CATEGORY_L1``, ``PRICE``, ...),
    matched ignoring case;
    values are strings, numbers or None, with multi-valued strings joined by
    ``|``. Columns are indexed lazily, once per field, and shared by every
    filter compiled against this catalog. The catalog must not change after
    filters are compiled against it: build a new one when the items change.
    """

    def __init__(self, item_ids: Sequence[str], properties: Sequence[Optional[Mapping[str, Any]]]) -> None:
        self.item_ids: Tuple[str, ...] = tuple(item_ids)
        self._properties = list(properties)
        if len(self._properties) != len(self.item_ids):
            raise ValueError(
                f"ItemCatalog needs one properties mapping per item: got {len(self.item_ids)} ids "
                f"and {len(self._properties)} mappings"
            )
        self._positions = {item_id: i for i, item_id in enumerate(self.item_ids)}
        if len(self._positions) != len(self.item_ids):
            raise ValueError("ItemCatalog item ids must be unique")
        self._columns: Dict[str, Column] = {}
        self._lock = threading.Lock()
        #: How many columns have been built (each is built once).
        self.columns_built = 0

    def __len__(self) -> int:
        return len(self.item_ids)

    def __repr__(self) -> str:
        return f"<ItemCatalog of {len(self)} items>"

    def position(self, item_id: str) -> Optional[int]:
        """The index of ``item_id``, or None when it is not in the catalog."""
        return self._positions.get(item_id)

    def positions(self, item_ids: Iterable[str]) -> np.ndarray:
        """Indexes of those of ``item_ids`` that are in the catalog."""
        lookup = self._positions.get
        found = [p for p in map(lookup, item_ids) if p is not None]
        return np.asarray(found, dtype=np.intp)

    def column(self, name: str) -> Column:
        """The indexed column for property ``name`` (built on first use)."""
        column = self._columns.get(name)
        if column is None:
            with self._lock:
                column = self._columns.get(name)
                if column is None:
                    raw = [property_value(props, name) for props in self._properties]
                    column = Column(name, raw)
                    self._columns[name] = column
                    self.columns_built += 1
        return column
