"""Compile a filter into boolean-mask operations over an :class:`ItemCatalog`.

:func:`compile_filter` walks the tree once. Conditions that do not depend on
the request (``Items.CATEGORY_L1 IN ("shoe")``, ``Items.PRICE < 50``) become
constant masks there and then; the rest become small functions over the
catalog's precomputed indexes, taking the request's placeholder values,
interaction history and current item. :meth:`CompiledFilter.mask` only runs
those functions and combines arrays; it never looks at an item's properties.

Semantics (reference section 5.2; docs/filters.rst has the full table):

- ``INCLUDE A | INCLUDE B | EXCLUDE C | EXCLUDE D`` = (A ∪ B) − (C ∪ D); with
  no INCLUDE that applies, every item is a candidate;
- an INCLUDE whose placeholder has no value raises ``InvalidRequestError``; an
  EXCLUDE whose placeholder has no value is skipped;
- an expression whose IF clause is false, or that needs the user's
  properties when there are none, does not apply (it is skipped, like an
  EXCLUDE with a missing value);
- event types match ignoring case; every other string matches exactly;
- ``NOT IN`` is the complement of ``IN``: an item without the field, or with no
  interaction, is "not in" any list;
- a comparison with a number needs a numeric item value (items without one
  never match, not even ``!=``); ``=``/``!=`` with a non-numeric placeholder or
  CurrentItem value compare the whole string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ...exceptions import ConfigurationError, FilterSyntaxError, InvalidRequestError
from ..parser import parse
from ..schema import Schema, validate
from ..tree import (
    And,
    Comparison,
    Condition,
    CurrentItemField,
    Expression,
    Filter,
    Membership,
    Number,
    Or,
    Placeholder,
    StringList,
    Where,
)
from ..vocabulary import WILDCARD
from .catalog import ItemCatalog, as_number, as_text, as_tokens, property_value

#: Personalize looks at the 100 most recent interactions per user per event type.
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class FilterContext:
    """What one request brings to a filter.

    ``values``: normalized filter values, placeholder name to a tuple of
    strings (see :func:`~personalize_sdk.filters.normalize_filter_values`).
    ``user_properties``: the requesting user's properties, for ``IF
    CurrentUser.FIELD`` (None when unknown). ``interactions``: the user's
    history, event type to item ids, most recent first. ``current_item``: the
    item of a related-items request, for ``CurrentItem.FIELD``.
    """

    values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    user_properties: Optional[Mapping[str, Any]] = None
    interactions: Optional[Mapping[str, Sequence[str]]] = None
    current_item: Optional[str] = None


class _Request:
    """A context prepared for evaluation, with the history indexed lazily."""

    def __init__(self, context: FilterContext, catalog: ItemCatalog, history_limit: int) -> None:
        self.size = len(catalog)
        self.catalog = catalog
        self.values = {k: _as_values(v) for k, v in (context.values or {}).items()}
        self.user = context.user_properties
        self.interactions = context.interactions
        self.current_item = context.current_item
        self.history_limit = history_limit
        self._history: Optional[Dict[str, np.ndarray]] = None

    def history(self) -> Dict[str, np.ndarray]:
        """Casefolded event type to the catalog positions of its most recent items."""
        if self._history is None:
            merged: Dict[str, List[np.ndarray]] = {}
            for event_type, item_ids in (self.interactions or {}).items():
                recent = islice(item_ids, self.history_limit)
                merged.setdefault(str(event_type).casefold(), []).append(self.catalog.positions(recent))
            self._history = {k: np.concatenate(v) for k, v in merged.items()}
        return self._history

    def current_position(self, where: str) -> Optional[int]:
        """The catalog position of the current item (None if it is not in the catalog)."""
        if self.current_item is None:
            raise InvalidRequestError(
                "item_id", f"the filter uses {where}, which needs a related-items request (an item id)"
            )
        return self.catalog.position(self.current_item)

    def user_value(self, name: str) -> Any:
        return property_value(self.user, name)

    def single_value(self, name: str, where: str) -> str:
        values = self.values[name]
        if len(values) != 1:
            raise InvalidRequestError(f"filter_values[{name!r}]", f"{where} needs exactly one value, got {len(values)}")
        return values[0]


def _as_values(value: Any) -> Tuple[str, ...]:
    # Normalized values are tuples already; be lenient with a bare string or None.
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


Mask = np.ndarray
#: A compiled WHERE part: a constant mask, or a function of the request.
Node = Union[Mask, Callable[[_Request], Mask]]


def compile_filter(
    expression: Union[str, Filter],
    catalog: ItemCatalog,
    *,
    schema: Optional[Schema] = None,
    history_limit: int = HISTORY_LIMIT,
) -> "CompiledFilter":
    """Compile ``expression`` (text or a parsed :class:`Filter`) for ``catalog``.

    Do this once per (filter, catalog) and keep the result; each request then
    calls :meth:`CompiledFilter.mask`. Raises ``FilterSyntaxError`` for an
    invalid expression (checked against ``schema`` when given) and
    ``ConfigurationError`` for filters that do not select items (UserID and
    ActionID filters).
    """
    if isinstance(expression, Filter):
        tree = expression
        if not tree.source:
            # A tree built by hand has not been through the parser's checks:
            # re-read its canonical text, and insist it means the same.
            tree = parse(str(expression))
            if tree != expression:
                raise FilterSyntaxError(f"this filter tree does not survive formatting: {tree}")
        if schema is not None:
            validate(tree, schema)
    else:
        tree = parse(expression, schema)
    if tree.target != "ItemID":
        raise ConfigurationError(
            f"only ItemID filters can be evaluated against an item catalog; this one filters {tree.target}"
        )
    return CompiledFilter(tree, catalog, history_limit)


@dataclass(frozen=True)
class _CompiledExpression:
    include: bool
    placeholders: Tuple[str, ...]
    where: Node
    condition: Optional[Callable[[_Request], bool]]


class CompiledFilter:
    """A filter ready to run against one catalog; see :func:`compile_filter`."""

    def __init__(self, tree: Filter, catalog: ItemCatalog, history_limit: int = HISTORY_LIMIT) -> None:
        self.tree = tree
        self.catalog = catalog
        self.history_limit = history_limit
        #: Placeholder names (without ``$``) the filter uses.
        self.placeholders = frozenset(tree.placeholders)
        self._expressions = tuple(self._compile_expression(e) for e in tree.expressions)

    def __repr__(self) -> str:
        return f"<CompiledFilter {self.tree} over {len(self.catalog)} items>"

    def mask(self, context: Optional[FilterContext] = None) -> np.ndarray:
        """A fresh boolean array, one entry per catalog item: True where the
        item may be recommended for this request."""
        request = _Request(context or FilterContext(), self.catalog, self.history_limit)
        size = request.size
        include: Optional[np.ndarray] = None
        exclude: Optional[np.ndarray] = None
        for expression in self._expressions:
            missing = [name for name in expression.placeholders if not request.values.get(name)]
            if missing:
                if expression.include:
                    raise InvalidRequestError(
                        f"filter_values[{missing[0]!r}]",
                        f"the filter's INCLUDE expression uses ${missing[0]}, so a value is required",
                    )
                continue
            if expression.condition is not None and not expression.condition(request):
                continue
            where = expression.where
            matched = where if isinstance(where, np.ndarray) else where(request)
            if expression.include:
                include = _accumulate(include, matched)
            else:
                exclude = _accumulate(exclude, matched)
        result = include if include is not None else np.ones(size, dtype=bool)
        if exclude is not None:
            result[exclude] = False
        return result

    # -- compilation -----------------------------------------------------
    def _compile_expression(self, expression: Expression) -> _CompiledExpression:
        condition = None
        if expression.if_conditions:
            checks = [_user_check(c) for c in expression.if_conditions]

            def condition(request: _Request) -> bool:
                return request.user is not None and all(check(request) for check in checks)

        return _CompiledExpression(
            include=expression.action == "INCLUDE",
            placeholders=expression.placeholders,
            where=self._compile_where(expression.where),
            condition=condition,
        )

    def _compile_where(self, where: Where) -> Node:
        if isinstance(where, Or):
            return _combine([self._compile_where(t) for t in where.terms], np.logical_or)
        if isinstance(where, And):
            return _combine([self._compile_where(c) for c in where.conditions], np.logical_and)
        if where.field.dataset == "Interactions":
            return _compile_interactions(where)
        if isinstance(where, Membership):
            return self._compile_membership(where)
        return self._compile_comparison(where)

    def _compile_membership(self, condition: Membership) -> Node:
        column = self.catalog.column(condition.field.name)
        negated = condition.negated
        values = condition.values

        def finish(mask: Mask) -> Mask:
            return np.logical_not(mask, out=mask) if negated else mask

        if isinstance(values, StringList):
            constant = finish(column.any_of(values.values))
            constant.flags.writeable = False
            return constant
        if isinstance(values, Placeholder):
            name = values.name
            return lambda request: finish(column.any_of(request.values[name]))
        current = self._current_item(values)
        return lambda request: finish(column.any_of(as_tokens(current(request))))

    def _compile_comparison(self, condition: Comparison) -> Node:
        column = self.catalog.column(condition.field.name)
        op = condition.operator
        value = condition.value
        where = f"{condition.field} {op}"
        if isinstance(value, Number):
            constant = column.compare(op, float(value.value))
            constant.flags.writeable = False
            return constant

        def against(raw: Any, placeholder: Optional[str]) -> Mask:
            number = as_number(raw)
            if number is not None:
                return column.compare(op, number)
            text = as_text(raw)
            if op in ("=", "!=") and text is not None:
                return column.equals_text(text, negated=op == "!=")
            if placeholder is not None:
                raise InvalidRequestError(f"filter_values[{placeholder!r}]", f"{where} needs a number, got {raw!r}")
            return np.zeros(column.size, dtype=bool)

        if isinstance(value, Placeholder):
            name = value.name
            return lambda request: against(request.single_value(name, where), name)
        current = self._current_item(value)
        return lambda request: against(current(request), None)

    def _current_item(self, value: CurrentItemField) -> Callable[[_Request], Any]:
        """A function giving the current item's value of ``value``'s field.

        The column is fetched now, so that a field only ever read through
        CurrentItem is indexed at compile time too, never during a request.
        """
        column = self.catalog.column(value.name)
        label = f"CurrentItem.{value.name}"

        def read(request: _Request) -> Any:
            position = request.current_position(label)
            return None if position is None else column.raw[position]

        return read


def _accumulate(total: Optional[Mask], matched: Mask) -> Mask:
    if total is None:
        # Constant masks are shared between requests (and read-only): copy them.
        return matched if matched.flags.writeable else matched.copy()
    return np.logical_or(total, matched, out=total)


def _combine(parts: List[Node], reduce: Any) -> Node:
    constants = [p for p in parts if isinstance(p, np.ndarray)]
    functions = [p for p in parts if not isinstance(p, np.ndarray)]
    constant = None
    if constants:
        constant = constants[0].copy()
        for other in constants[1:]:
            reduce(constant, other, out=constant)
        constant.flags.writeable = False
    if not functions:
        assert constant is not None  # parts is never empty
        return constant

    def run(request: _Request) -> Mask:
        mask = functions[0](request)  # functions return fresh arrays, safe to reuse
        for function in functions[1:]:
            reduce(mask, function(request), out=mask)
        if constant is not None:
            reduce(mask, constant, out=mask)
        return mask

    return run


def _compile_interactions(condition: Condition) -> Node:
    if not isinstance(condition, Membership):  # the parser refuses comparisons on EVENT_TYPE
        raise TypeError(f"EVENT_TYPE can only be matched with IN or NOT IN: {condition!r}")
    negated = condition.negated
    values = condition.values
    fixed = frozenset(v.casefold() for v in values.values) if isinstance(values, StringList) else None
    name = values.name if isinstance(values, Placeholder) else ""

    def run(request: _Request) -> Mask:
        wanted = fixed if fixed is not None else frozenset(v.casefold() for v in request.values[name])
        mask = np.zeros(request.size, dtype=bool)
        for event_type, positions in request.history().items():
            if WILDCARD in wanted or event_type in wanted:
                mask[positions] = True
        return np.logical_not(mask, out=mask) if negated else mask

    return run


def _user_check(condition: Condition) -> Callable[[_Request], bool]:
    """An IF condition on the requesting user's properties (only called
    when there are some)."""
    name = condition.field.name
    if isinstance(condition, Membership):
        values = condition.values
        fixed = frozenset(values.values) if isinstance(values, StringList) else None
        placeholder = values.name if isinstance(values, Placeholder) else ""
        negated = condition.negated

        def member(request: _Request) -> bool:
            wanted = fixed if fixed is not None else frozenset(request.values[placeholder])
            found = not wanted.isdisjoint(as_tokens(request.user_value(name)))
            return not found if negated else found

        return member

    op = condition.operator
    value = condition.value
    literal = value.value if isinstance(value, Number) else None
    placeholder = value.name if isinstance(value, Placeholder) else ""
    where = f"IF {condition.field} {op}"

    def compare(request: _Request) -> bool:
        raw: Any = literal if literal is not None else request.single_value(placeholder, where)
        mine = request.user_value(name)
        number = as_number(raw)
        if number is not None:
            own = as_number(mine)
            return own is not None and _OPERATORS[op](own, number)
        if op not in ("=", "!="):
            raise InvalidRequestError(f"filter_values[{placeholder!r}]", f"{where} needs a number, got {raw!r}")
        text = as_text(mine)
        return text is not None and (text == raw) == (op == "=")

    return compare


_OPERATORS: Dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
