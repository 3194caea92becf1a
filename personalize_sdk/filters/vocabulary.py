"""The words and limits of Personalize's filter-expression language.

The lexer, the parser, the tree and the schema check all read these, so they
live at the bottom, importing nothing of the package.
"""

from __future__ import annotations

from typing import Literal, Tuple

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
