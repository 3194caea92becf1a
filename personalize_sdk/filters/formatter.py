"""Turn a filter tree back into canonical text.

The canonical form is what Personalize's documentation writes: keywords in
upper case, dataset and field names spelt as the documentation spells them,
one space between tokens, ``, `` between list values, `` | `` between
expressions, placeholders after ``IN`` in parentheses and bare after a
comparison operator (``$PRICE``, not ``($PRICE)``). Each node of the tree
writes its own text (``str(node)``); this module adds the entry point that
also takes a string. Formatting is the inverse of parsing:
``parse(format_filter(tree)) == tree`` for every valid tree, and
``format_filter(parse(text))`` is ``text`` for text already in canonical form.
"""

from __future__ import annotations

from typing import Union

from .parser import parse
from .tree import Comparison, Condition, Expression, Filter, Membership, format_number

__all__ = ["format_condition", "format_expression", "format_filter", "format_number"]


def format_filter(tree: Union[Filter, str]) -> str:
    """Return the canonical text of ``tree``.

    A string is parsed first, so ``format_filter(text)`` canonicalises an
    expression (and raises :class:`FilterSyntaxError` if it is invalid).
    """
    if isinstance(tree, str):
        tree = parse(tree)
    if not isinstance(tree, Filter):
        raise TypeError(f"format_filter() takes a Filter or a string, not {type(tree).__name__}")
    return str(tree)


def format_expression(expression: Expression) -> str:
    """The canonical text of one ``INCLUDE``/``EXCLUDE`` expression."""
    return str(expression)


def format_condition(condition: Condition) -> str:
    """The canonical text of one condition, e.g. ``Items.PRICE < $PRICE``."""
    if not isinstance(condition, (Membership, Comparison)):
        raise TypeError(f"not a filter condition: {condition!r}")
    return str(condition)
