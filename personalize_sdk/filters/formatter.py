"""Turn a filter tree back into canonical text.

The canonical form is what Personalize's documentation writes: keywords in
upper case, one space between tokens, ``, `` between list values, `` | ``
between expressions, placeholders after ``IN`` in parentheses and bare after a
comparison operator (``$PRICE``, not ``($PRICE)``). Formatting is the inverse
of parsing: ``parse(format_filter(tree)) == tree`` for every valid tree, and
``format_filter(parse(text))`` is ``text`` for text already in canonical form.
"""

from __future__ import annotations

import math
import re
from typing import Union

from ..exceptions import FilterSyntaxError
from .tree import (
    OPERATORS,
    And,
    Comparison,
    ComparisonValue,
    Condition,
    CurrentItemField,
    Expression,
    Filter,
    Membership,
    MembershipValue,
    Number,
    Or,
    Placeholder,
    StringList,
    Where,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"[A-Za-z0-9_]{1,50}")
_UNQUOTABLE = re.compile(r'["\\\x00-\x1f\x7f]')


def format_filter(tree: Union[Filter, str]) -> str:
    """Return the canonical text of ``tree``.

    A string is parsed first, so ``format_filter(text)`` canonicalises an
    expression (and raises :class:`FilterSyntaxError` if it is invalid).
    """
    if isinstance(tree, str):
        from .parser import parse

        tree = parse(tree)
    if not isinstance(tree, Filter):
        raise TypeError(f"format_filter() takes a Filter or a string, not {type(tree).__name__}")
    return " | ".join(format_expression(expression) for expression in tree.expressions)


def format_expression(expression: Expression) -> str:
    """The canonical text of one ``INCLUDE``/``EXCLUDE`` expression."""
    text = f"{expression.action} {expression.target} WHERE {_where(expression.where)}"
    if expression.if_conditions:
        text += " IF " + " AND ".join(format_condition(c) for c in expression.if_conditions)
    return text


def _where(where: Where) -> str:
    if isinstance(where, Or):
        return " OR ".join(_where(term) for term in where.terms)
    if isinstance(where, And):
        return " AND ".join(format_condition(c) for c in where.conditions)
    return format_condition(where)


def format_condition(condition: Condition) -> str:
    """The canonical text of one condition, e.g. ``Items.PRICE < $PRICE``."""
    if isinstance(condition, Membership):
        keyword = "NOT IN" if condition.negated else "IN"
        return f"{_field(condition)} {keyword} {_membership_value(condition.values)}"
    if isinstance(condition, Comparison):
        if condition.operator not in OPERATORS:
            raise FilterSyntaxError(f"unknown comparison operator {condition.operator!r}")
        return f"{_field(condition)} {condition.operator} {_comparison_value(condition.value)}"
    raise TypeError(f"not a filter condition: {condition!r}")


def _membership_value(value: MembershipValue) -> str:
    if isinstance(value, StringList):
        if not value.values:
            raise FilterSyntaxError("a value list needs at least one value")
        return "(" + ", ".join(_quote(v) for v in value.values) + ")"
    if isinstance(value, Placeholder):
        return f"(${_name(value.name, _PLACEHOLDER)})"
    if isinstance(value, CurrentItemField):
        return f"CurrentItem.{_name(value.name)}"
    raise TypeError(f"not a value list: {value!r}")


def _comparison_value(value: ComparisonValue) -> str:
    if isinstance(value, Number):
        return format_number(value.value)
    if isinstance(value, Placeholder):
        return f"${_name(value.name, _PLACEHOLDER)}"
    if isinstance(value, CurrentItemField):
        return f"CurrentItem.{_name(value.name)}"
    raise TypeError(f"not a comparison value: {value!r}")


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


def _field(condition: Condition) -> str:
    return f"{_name(condition.field.dataset)}.{_name(condition.field.name)}"


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
