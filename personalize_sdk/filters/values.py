"""Filter values: the one place that turns ``{"CATEGORY": ["shoes", "socks"]}``
into Personalize's wire form and back.

Personalize takes each placeholder's values as one string of double-quoted,
comma-separated values (``"\\"shoes\\",\\"socks\\""``), at most 1,000 characters,
for at most 25 placeholders named ``[A-Za-z0-9_]+`` (at most 50 characters).
Personalize documents no escape for a double quote inside a value, so a value
holding ``"`` (or a backslash, or a control character) is refused rather than
sent: no value can close its quotes and change the expression. Commas and ``|``
are harmless inside the quotes and are kept.
"""

from __future__ import annotations

import math
import re
from typing import Mapping, Sequence, Union

from ..exceptions import InvalidRequestError

MAX_FILTER_VALUES = 25
MAX_FILTER_VALUE_NAME_LENGTH = 50
MAX_FILTER_VALUE_LENGTH = 1000
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_FORBIDDEN = re.compile(r'["\\\x00-\x1f\x7f]')
_WIRE_VALUE = re.compile(r'\s*"([^"\\]*)"\s*(,|$)')

FilterValue = Union[str, int, float, Sequence[Union[str, int, float]]]


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidRequestError(
            f"filter_values[{name!r}]", "placeholder names must match [A-Za-z0-9_]+ (without the $)"
        )
    if len(name) > MAX_FILTER_VALUE_NAME_LENGTH:
        raise InvalidRequestError(
            f"filter_values[{name!r}]", f"placeholder names must be at most {MAX_FILTER_VALUE_NAME_LENGTH} characters"
        )
    return name


def _check_value(name: str, index: int, value: object) -> str:
    where = f"filter_values[{name!r}][{index}]"
    if isinstance(value, bool):
        raise InvalidRequestError(where, "must be a string or a number, not a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRequestError(where, f"must be a finite number, not {value!r}")
    if isinstance(value, (int, float)):
        value = repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str):
        raise InvalidRequestError(where, f"must be a string or a number, not {type(value).__name__}")
    if _FORBIDDEN.search(value):
        raise InvalidRequestError(
            where,
            "must not contain double quotes, backslashes or control characters (Personalize has no escape for them)",
        )
    return value


def normalize_filter_values(values: Mapping[str, FilterValue] | None) -> dict[str, tuple[str, ...]]:
    """Check ``values`` and return ``{name: (value, ...)}``.

    A value may be a string, a number, or a list of either. An empty list means
    "no value" (an EXCLUDE part on it is then skipped, as Personalize does).
    """
    if not values:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidRequestError("filter_values", "must be a mapping of placeholder name to value or list of values")
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidRequestError("filter_values", f"must have at most {MAX_FILTER_VALUES} placeholders")
    result: dict[str, tuple[str, ...]] = {}
    for name, raw in values.items():
        name = _check_name(name)
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            items: Sequence[object] = [raw]
        elif isinstance(raw, (list, tuple, set, frozenset)):
            # Sets have no order; sort them (by type, then text, so mixed sets
            # of numbers and strings do not raise) to make the wire form stable.
            items = (
                sorted(raw, key=lambda v: (type(v).__name__, str(v)))
                if isinstance(raw, (set, frozenset))
                else list(raw)
            )
        else:
            raise InvalidRequestError(
                f"filter_values[{name!r}]", f"must be a string, a number or a list of them, not {type(raw).__name__}"
            )
        checked = tuple(_check_value(name, i, v) for i, v in enumerate(items))
        if len(_encode(checked)) > MAX_FILTER_VALUE_LENGTH:
            raise InvalidRequestError(
                f"filter_values[{name!r}]",
                f"must encode to at most {MAX_FILTER_VALUE_LENGTH} characters (all values quoted and comma-joined)",
            )
        result[name] = checked
    return result


def _encode(values: Sequence[str]) -> str:
    return ",".join(f'"{v}"' for v in values)


def encode_filter_values(values: Mapping[str, FilterValue] | None) -> dict[str, str]:
    """Personalize's wire form: ``{"CATEGORY": "\\"shoes\\",\\"socks\\""}``.

    Placeholders with no values are left out (Personalize then skips the
    EXCLUDE parts that use them).
    """
    return {name: _encode(vals) for name, vals in normalize_filter_values(values).items() if vals}


def decode_filter_values(wire: Mapping[str, str] | None) -> dict[str, tuple[str, ...]]:
    """The inverse of :func:`encode_filter_values`, for servers that receive the
    wire form (the local Personalize-compatible endpoint, the REST API)."""
    if not wire:
        return {}
    if not isinstance(wire, Mapping):
        raise InvalidRequestError("filterValues", "must be a mapping of placeholder name to string")
    if len(wire) > MAX_FILTER_VALUES:
        raise InvalidRequestError("filterValues", f"must have at most {MAX_FILTER_VALUES} placeholders")
    result: dict[str, tuple[str, ...]] = {}
    for name, text in wire.items():
        name = _check_name(name)
        if not isinstance(text, str):
            raise InvalidRequestError(f"filterValues[{name!r}]", "must be a string of double-quoted values")
        if len(text) > MAX_FILTER_VALUE_LENGTH:
            raise InvalidRequestError(
                f"filterValues[{name!r}]", f"must be at most {MAX_FILTER_VALUE_LENGTH} characters"
            )
        values: list[str] = []
        pos = 0
        while pos < len(text):
            match = _WIRE_VALUE.match(text, pos)
            if not match or match.end() == pos:
                raise InvalidRequestError(
                    f"filterValues[{name!r}]",
                    f'must be double-quoted values joined by commas, like "\\"a\\",\\"b\\"" (fault at character {pos})',
                )
            # What encode refuses, decode refuses too: the two stay inverses.
            values.append(_check_value(name, len(values), match.group(1)))
            pos = match.end()
            if match.group(2) == "," and pos >= len(text):
                raise InvalidRequestError(f"filterValues[{name!r}]", "must not end with a comma")
        result[name] = tuple(values)
    return result
