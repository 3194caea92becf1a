"""The typed syntax tree of a filter expression.

:func:`personalize_sdk.filters.parse` builds these nodes and
:func:`personalize_sdk.filters.format` turns them back into text. All nodes are
frozen dataclasses, so trees are hashable and compare by value. Each node
remembers where it started in the source text (``position``) for error
messages, but positions take no part in equality: ``parse(format(tree)) == tree``.

Conditions joined with ``AND`` bind tighter than ``OR`` (as in SQL; Personalize
documents no grouping and no parentheses), so a ``WHERE`` part is always one of:
a single condition, an :class:`And` of conditions, or an :class:`Or` whose
terms are conditions or :class:`And`\\ s.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterator, Tuple, Union

from ..exceptions import FilterSyntaxError
# INTERACTION_DATASETS, MAX_EXPRESSION_LENGTH and the type aliases were first
# defined here, and other modules still import them from here.
from .vocabulary import (  # noqa: F401
    CURRENT_ITEM,
    CURRENT_USER,
    INTERACTION_DATASETS,
    MAX_EXPRESSION_LENGTH,
    OPERATORS,
    Action,
    Operator,
    Target,
    canonical_dataset,
    canonical_field,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"[A-Za-z0-9_]{1,50}")
_UNQUOTABLE = re.compile(r'["\\\x00-\x1f\x7f]')


def _pos() -> int:
    return field(default=-1, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class FieldRef:
    """``Dataset.FIELD`` on the left of a condition, e.g. ``Items.PRICE``.

    In an IF clause the dataset is ``"CurrentUser"``. Names are kept in
    their canonical spelling (``FieldRef("ITEMS", "price")`` is
    ``Items.PRICE``), so two spellings of one field compare equal.
    """

    dataset: str
    name: str
    position: int = _pos()

    def __post_init__(self) -> None:
        if isinstance(self.dataset, str):
            object.__setattr__(self, "dataset", canonical_dataset(self.dataset) or self.dataset)
        if isinstance(self.name, str):
            object.__setattr__(self, "name", canonical_field(self.name))

    def __str__(self) -> str:
        return f"{self.dataset}.{self.name}"


@dataclass(frozen=True)
class StringList:
    """A parenthesised list of double-quoted strings: ``("shoe", "boot")``.

    ``"*"`` in a list on ``EVENT_TYPE`` means every event type.
    """

    values: Tuple[str, ...]
    position: int = _pos()

    def __str__(self) -> str:
        if not self.values:
            raise FilterSyntaxError("a value list needs at least one value")
        return "(" + ", ".join(_quote(v) for v in self.values) + ")"


@dataclass(frozen=True)
class Number:
    """A numeric literal; ``value`` is an ``int`` when written without a
    fraction or exponent, else a ``float``."""

    value: Union[int, float]
    position: int = _pos()

    def __str__(self) -> str:
        return format_number(self.value)


@dataclass(frozen=True)
class Placeholder:
    """``$NAME``: a value supplied with each request as ``filter_values["NAME"]``.

    Written bare (``$NAME``); after ``IN`` the condition adds the parentheses.
    """

    name: str
    position: int = _pos()

    def __str__(self) -> str:
        return f"${_name(self.name, _PLACEHOLDER)}"


@dataclass(frozen=True)
class CurrentItemField:
    """``CurrentItem.FIELD``: that field of the item a related-items request
    is about. The name is kept in its canonical (upper) case."""

    name: str
    position: int = _pos()

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            object.__setattr__(self, "name", canonical_field(self.name))

    def __str__(self) -> str:
        return f"{CURRENT_ITEM}.{_name(self.name)}"


MembershipValue = Union[StringList, Placeholder, CurrentItemField]
ComparisonValue = Union[Number, Placeholder, CurrentItemField]


@dataclass(frozen=True)
class Membership:
    """``FIELD IN (...)`` or, with ``negated``, ``FIELD NOT IN (...)``."""

    field: FieldRef
    values: MembershipValue
    negated: bool = False
    position: int = _pos()

    def __str__(self) -> str:
        keyword = "NOT IN" if self.negated else "IN"
        if not isinstance(self.values, (StringList, Placeholder, CurrentItemField)):
            raise TypeError(f"not a value list: {self.values!r}")
        values = f"({self.values})" if isinstance(self.values, Placeholder) else str(self.values)
        return f"{_field(self.field)} {keyword} {values}"


@dataclass(frozen=True)
class Comparison:
    """``FIELD <op> value`` with one of :data:`OPERATORS`."""

    field: FieldRef
    operator: str
    value: ComparisonValue
    position: int = _pos()

    def __str__(self) -> str:
        if self.operator not in OPERATORS:
            raise FilterSyntaxError(f"unknown comparison operator {self.operator!r}")
        if not isinstance(self.value, (Number, Placeholder, CurrentItemField)):
            raise TypeError(f"not a comparison value: {self.value!r}")
        return f"{_field(self.field)} {self.operator} {self.value}"


Condition = Union[Membership, Comparison]


@dataclass(frozen=True)
class And:
    """Two or more conditions that must all hold."""

    conditions: Tuple[Condition, ...]

    def __str__(self) -> str:
        return " AND ".join(_condition(c) for c in self.conditions)


@dataclass(frozen=True)
class Or:
    """Two or more terms (conditions or :class:`And` groups), one of which must hold."""

    terms: Tuple[Union[Condition, And], ...]

    def __str__(self) -> str:
        return " OR ".join(str(term) if isinstance(term, And) else _condition(term) for term in self.terms)


Where = Union[Membership, Comparison, And, Or]


@dataclass(frozen=True)
class Expression:
    """One ``INCLUDE``/``EXCLUDE`` expression.

    ``where`` holds the WHERE conditions; ``if_conditions`` the conditions of
    the trailing ``IF`` clause (all on ``CurrentUser``, joined with AND), empty
    when there is none.
    """

    action: str
    target: str
    where: Where
    if_conditions: Tuple[Condition, ...] = ()
    position: int = _pos()

    def __str__(self) -> str:
        where = str(self.where) if isinstance(self.where, (And, Or)) else _condition(self.where)
        text = f"{self.action} {self.target} WHERE {where}"
        if self.if_conditions:
            text += " IF " + " AND ".join(_condition(c) for c in self.if_conditions)
        return text

    @property
    def dataset(self) -> str:
        """The one dataset every WHERE condition uses."""
        return next(iter_conditions(self.where)).field.dataset

    def conditions(self) -> Iterator[Condition]:
        """Every condition, WHERE first, then IF."""
        yield from iter_conditions(self.where)
        yield from self.if_conditions

    @property
    def placeholders(self) -> Tuple[str, ...]:
        """Placeholder names in order of first use (WHERE and IF)."""
        names: dict[str, None] = {}
        for condition in self.conditions():
            value = condition.values if isinstance(condition, Membership) else condition.value
            if isinstance(value, Placeholder):
                names.setdefault(value.name)
        return tuple(names)


@dataclass(frozen=True)
class Filter:
    """A whole filter: expressions chained with ``|``.

    ``source`` is the text it was parsed from (empty for trees built by hand);
    it takes no part in equality.
    """

    expressions: Tuple[Expression, ...]
    source: str = field(default="", compare=False, repr=False)

    @property
    def target(self) -> str:
        """``"ItemID"``, ``"UserID"`` or ``"ActionID"`` (the same for every expression)."""
        return self.expressions[0].target

    @property
    def placeholders(self) -> Tuple[str, ...]:
        """Placeholder names (without ``$``) in order of first use."""
        names: dict[str, None] = {}
        for expression in self.expressions:
            for name in expression.placeholders:
                names.setdefault(name)
        return tuple(names)

    @property
    def fields(self) -> Tuple[str, ...]:
        """Distinct dataset fields the filter reads, as ``"Dataset.FIELD"``
        (``CurrentItem.X`` counts as ``Items.X``, ``CurrentUser.X`` as ``Users.X``)."""
        names: dict[str, None] = {}
        for expression in self.expressions:
            for condition in expression.conditions():
                for name, _ in field_refs(condition):
                    names.setdefault(name)
        return tuple(names)

    def __str__(self) -> str:
        """The canonical text (see :mod:`.formatter`)."""
        return " | ".join(str(expression) for expression in self.expressions)


def iter_conditions(where: Where) -> Iterator[Condition]:
    """The conditions of a WHERE part, left to right."""
    if isinstance(where, Or):
        for term in where.terms:
            yield from iter_conditions(term)
    elif isinstance(where, And):
        yield from where.conditions
    else:
        yield where


def field_refs(condition: Condition) -> Iterator[Tuple[str, int]]:
    """The dataset fields a condition reads, as ``("Dataset.FIELD", position)``
    pairs, named the way Personalize's distinct-field limit counts them."""
    ref = condition.field
    yield (f"Users.{ref.name}" if ref.dataset == CURRENT_USER else str(ref)), ref.position
    value = condition.values if isinstance(condition, Membership) else condition.value
    if isinstance(value, CurrentItemField):
        yield f"Items.{value.name}", value.position


# -- canonical text ---------------------------------------------------------
# The canonical form is what Personalize's documentation writes (see
# :mod:`.formatter`). Writing refuses what a hand-built tree may hold but the
# language cannot say, so no text is ever produced that parses differently.


def _condition(condition: Condition) -> str:
    if not isinstance(condition, (Membership, Comparison)):
        raise TypeError(f"not a filter condition: {condition!r}")
    return str(condition)


def _quote(value: str) -> str:
    # Personalize has no escapes: a value that could end its own quotes must
    # never be written out, or it would change the expression.
    if not isinstance(value, str) or _UNQUOTABLE.search(value):
        raise FilterSyntaxError(
            f"{value!r} cannot be written in a filter expression "
            "(double quotes, backslashes and control characters have no escape)"
        )
    return f'"{value}"'


def _name(name: str, pattern: "re.Pattern[str]" = _NAME) -> str:
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise FilterSyntaxError(f"{name!r} is not a valid name in a filter expression")
    return name


def _field(ref: FieldRef) -> str:
    return f"{_name(ref.dataset)}.{_name(ref.name)}"


def format_number(value: Union[int, float]) -> str:
    """Write a number so that the lexer reads back the same value and type
    (``repr`` of a float always has a ``.`` or an exponent)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"filter numbers must be finite, not {value!r}")
        return repr(value)
    return str(value)
