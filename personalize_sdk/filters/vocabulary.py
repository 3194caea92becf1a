"""The words and limits of Personalize's filter-expression language.

The lexer, the parser, the tree and the schema check all read these, so they
live at the bottom, importing nothing of the package.
"""

from __future__ import annotations

from typing import Literal, Optional, Tuple

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

#: The keywords, in their canonical (upper) case.
KEYWORDS: Tuple[str, ...] = ("INCLUDE", "EXCLUDE", "WHERE", "AND", "OR", "NOT", "IN", "IF")

# Personalize reads keywords, targets, dataset names and field names without
# regard to case (its own deployment code writes ``EXCLUDE itemId WHERE
# INTERACTIONS.event_type in (...)``; see docs/filters.rst), so every word is
# looked up by its folded spelling and the tree keeps the canonical one.
_DATASET_NAMES = {name.casefold(): name for name in DATASETS + (CURRENT_USER, CURRENT_ITEM)}


def canonical_word(word: str, options: Tuple[str, ...]) -> Optional[str]:
    """The option ``word`` names, whatever its case (``"itemId"`` ->
    ``"ItemID"``), or None."""
    folded = word.casefold()
    for option in options:
        if option.casefold() == folded:
            return option
    return None


def canonical_dataset(name: str) -> Optional[str]:
    """``Items``, ``Users``, ..., ``CurrentUser`` or ``CurrentItem`` for any
    spelling of one of them (``"INTERACTIONS"`` -> ``"Interactions"``), or None."""
    return _DATASET_NAMES.get(name.casefold())


def canonical_field(name: str) -> str:
    """The canonical spelling of a field name: upper case, as Personalize's
    reserved fields and documentation write them (``event_type`` ->
    ``EVENT_TYPE``). Schemas are matched against it ignoring case."""
    return name.upper()
