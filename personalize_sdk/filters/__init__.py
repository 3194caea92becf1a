"""Personalize's filter-expression language.

``values`` (encoding placeholder values to the wire form and back) is here
now; the parser, formatter and evaluator follow in this package.
"""

from .values import decode_filter_values, encode_filter_values, normalize_filter_values

__all__ = ["decode_filter_values", "encode_filter_values", "normalize_filter_values"]
