"""Hints for error messages: which known word a mistyped one was meant to be."""

from __future__ import annotations

import difflib
from typing import Sequence


def suggest(word: str, options: Sequence[str]) -> str:
    """A parenthesised hint naming the option(s) ``word`` was probably meant
    to be, or ''. Case is ignored (the language ignores it too), so a word
    that is one of the options, only misplaced, gets no hint."""
    folded = {option.casefold(): option for option in options}
    if word.casefold() in folded:
        return ""
    close = set(difflib.get_close_matches(word.casefold(), list(folded), n=3, cutoff=0.75))
    if close:
        return f" (did you mean {join_options([o for o in options if o.casefold() in close])}?)"
    return ""


def join_options(options: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]
