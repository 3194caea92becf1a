"""Personalize's filter-expression language.

- :func:`parse` turns an expression into a typed tree (:class:`Filter`) or
  raises :class:`~personalize_sdk.exceptions.FilterSyntaxError`;
- :func:`format` turns a tree back into canonical text;
- :class:`Schema` and :func:`validate` check fields and operators against the
  dataset schemas;
- :func:`normalize_filter_values`, :func:`encode_filter_values` and
  :func:`decode_filter_values` handle the values for placeholders;
- the evaluator for the local engine (:class:`ItemCatalog`,
  :func:`compile_filter`, :class:`FilterContext`) lives in
  :mod:`personalize_sdk.filters.evaluate`, which needs numpy; it is loaded on
  first access so that this package imports with the standard library alone.
"""

from typing import Any

from .formatter import format_filter
from .parser import parse
from .schema import Schema, validate
from .tree import (
    And,
    Comparison,
    Condition,
    CurrentItemField,
    Expression,
    FieldRef,
    Filter,
    Membership,
    Number,
    Or,
    Placeholder,
    StringList,
)
from .values import decode_filter_values, encode_filter_values, normalize_filter_values

#: ``format(tree)``: the canonical text of a filter (same as :func:`format_filter`).
format = format_filter

# Reachable as attributes but left out of __all__, so that a star import does
# not pull in numpy either.
_EVALUATOR_NAMES = ("CompiledFilter", "FilterContext", "ItemCatalog", "compile_filter")


def __getattr__(name: str) -> Any:
    # The evaluator imports numpy (the ``local`` extra), so it is loaded only
    # when someone asks for it.
    if name in _EVALUATOR_NAMES:
        from . import evaluate

        return getattr(evaluate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "And",
    "Comparison",
    "Condition",
    "CurrentItemField",
    "Expression",
    "FieldRef",
    "Filter",
    "Membership",
    "Number",
    "Or",
    "Placeholder",
    "Schema",
    "StringList",
    "decode_filter_values",
    "encode_filter_values",
    "format",
    "format_filter",
    "normalize_filter_values",
    "parse",
    "validate",
]
