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

from dataclasses import dataclass, field
from typing import Iterator, Literal, Tuple, Union

#: What an expression keeps or drops.
Action = Literal["INCLUDE", "EXCLUDE"]
#: What an expression filters: items, users (user segments) or actions.
Target = Literal["ItemID", "UserID", "ActionID"]
#: The comparison operators, which work on numbers.
Operator = Literal["=", "!=", "<", "<=", ">", ">="]

ACTIONS: Tuple[str, ...] = ("INCLUDE", "EXCLUDE")
TARGETS: Tuple[str, ...] = ("ItemID", "UserID", "ActionID")
OPERATORS: Tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=")
#: Datasets a WHERE condition may name, per target (Users data reaches item
#: filters only through ``IF CurrentUser.FIELD``).
DATASETS_BY_TARGET = {
    "ItemID": ("Items", "Interactions"),
    "UserID": ("Users", "Interactions"),
    "ActionID": ("Actions", "Action_Interactions"),
}
DATASETS: Tuple[str, ...] = ("Items", "Users", "Interactions", "Actions", "Action_Interactions")
#: Interaction datasets, on which only EVENT_TYPE can be filtered.
INTERACTION_DATASETS: Tuple[str, ...] = ("Interactions", "Action_Interactions")
CURRENT_ITEM = "CurrentItem"
CURRENT_USER = "CurrentUser"
WILDCARD = "*"

MAX_EXPRESSION_LENGTH = 2500
MAX_DISTINCT_FIELDS = 10
MAX_PLACEHOLDER_LENGTH = 50


def _pos() -> int:
    return field(default=-1, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class FieldRef:
    """``Dataset.FIELD`` on the left of a condition, e.g. ``Items.PRICE``.

    In an IF clause the dataset is ``"CurrentUser"``.
    """

    dataset: str
    name: str
    position: int = _pos()

    def __str__(self) -> str:
        return f"{self.dataset}.{self.name}"


@dataclass(frozen=True)
class StringList:
    """A parenthesised list of double-quoted strings: ``("shoe", "boot")``.

    ``"*"`` in a list on ``EVENT_TYPE`` means every event type.
    """

    values: Tuple[str, ...]
    position: int = _pos()


@dataclass(frozen=True)
class Number:
    """A numeric literal; ``value`` is an ``int`` when written without a
    fraction or exponent, else a ``float``."""

    value: Union[int, float]
    position: int = _pos()


@dataclass(frozen=True)
class Placeholder:
    """``$NAME``: a value supplied with each request as ``filter_values["NAME"]``."""

    name: str
    position: int = _pos()


@dataclass(frozen=True)
class CurrentItemField:
    """``CurrentItem.FIELD``: that field of the item a related-items request
    is about."""

    name: str
    position: int = _pos()


MembershipValue = Union[StringList, Placeholder, CurrentItemField]
ComparisonValue = Union[Number, Placeholder, CurrentItemField]


@dataclass(frozen=True)
class Membership:
    """``FIELD IN (...)`` or, with ``negated``, ``FIELD NOT IN (...)``."""

    field: FieldRef
    values: MembershipValue
    negated: bool = False
    position: int = _pos()


@dataclass(frozen=True)
class Comparison:
    """``FIELD <op> value`` with one of :data:`OPERATORS`."""

    field: FieldRef
    operator: str
    value: ComparisonValue
    position: int = _pos()


Condition = Union[Membership, Comparison]


@dataclass(frozen=True)
class And:
    """Two or more conditions that must all hold."""

    conditions: Tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """Two or more terms (conditions or :class:`And` groups), one of which must hold."""

    terms: Tuple[Union[Condition, And], ...]


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
        from .formatter import format_filter

        return format_filter(self)


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
