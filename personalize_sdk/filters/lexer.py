"""Split a filter expression into tokens.

The lexer knows the shapes of the language's words (names, ``Dataset.FIELD``,
numbers, double-quoted strings, ``$PLACEHOLDER``\\ s, operators and
punctuation) but not its grammar; :mod:`.parser` does that. Every fault is a
:class:`~personalize_sdk.exceptions.FilterSyntaxError` with the position of the
offending character.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import List, Union

from ..exceptions import FilterSyntaxError
from .vocabulary import MAX_PLACEHOLDER_LENGTH

# Token kinds.
WORD = "word"  # INCLUDE, ItemID, WHERE, AND, ...
QUALIFIED = "qualified"  # Items.PRICE, CurrentItem.GENRE
STRING = "string"
NUMBER = "number"
PLACEHOLDER = "placeholder"
OPERATOR = "operator"
LPAREN = "("
RPAREN = ")"
COMMA = ","
PIPE = "|"
END = "end"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUALIFIED = re.compile(rf"({_NAME})\.({_NAME})")
_WORD = re.compile(_NAME)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_PLACEHOLDER = re.compile(r"\$([A-Za-z0-9_]+)")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_.]")
_WHITESPACE = re.compile(r"\s+")
_DIGITS = "0123456789"
_DIGITS_NONEMPTY = tuple(_DIGITS)
# Personalize documents no escapes inside strings, so a backslash or a control
# character is refused rather than guessed at (filter values follow the same rule).
_STRING_BODY = re.compile(r'[^"\\\x00-\x1f\x7f]*')


@dataclass(frozen=True)
class Token:
    """One token: its ``kind``, the source ``text``, its ``value`` (the
    unquoted string, the number, the placeholder name, or the text) and the
    0-based ``position`` of its first character."""

    kind: str
    text: str
    value: Union[str, int, float, tuple]
    position: int

    @property
    def end(self) -> int:
        return self.position + len(self.text)

    def describe(self) -> str:
        """How to name this token in an error message."""
        if self.kind == END:
            return "the end of the expression"
        if len(self.text) > 40:
            return repr(self.text[:37] + "...")
        return repr(self.text)


def tokenize(expression: str) -> List[Token]:
    """Return the tokens of ``expression``, ending with an ``END`` token.

    Raises :class:`FilterSyntaxError` for characters that cannot start a
    token, unterminated strings, malformed numbers and placeholders.
    """
    tokens: List[Token] = []
    pos = 0
    length = len(expression)

    def fail(message: str, at: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, expression, at)

    while True:
        ws = _WHITESPACE.match(expression, pos)
        if ws:
            pos = ws.end()
        if pos >= length:
            tokens.append(Token(END, "", "", length))
            return tokens
        char = expression[pos]
        start = pos
        if char == '"':
            body = _STRING_BODY.match(expression, pos + 1)
            end = body.end() if body else pos + 1
            if end >= length:
                raise fail('unterminated string: this " is never closed', start)
            if expression[end] != '"':
                bad = expression[end]
                if bad == "\\":
                    raise fail("backslashes are not allowed in strings (Personalize has no escapes)", end)
                raise fail(f"control character {bad!r} is not allowed in a string", end)
            text = expression[start : end + 1]
            tokens.append(Token(STRING, text, text[1:-1], start))
            pos = end + 1
        elif char == "$":
            match = _PLACEHOLDER.match(expression, pos)
            if not match:
                raise fail("expected a placeholder name (letters, digits, _) after $", pos + 1)
            name = match.group(1)
            if len(name) > MAX_PLACEHOLDER_LENGTH:
                raise fail(
                    f"placeholder names can be at most {MAX_PLACEHOLDER_LENGTH} characters, "
                    f"this one has {len(name)}",
                    start,
                )
            tokens.append(Token(PLACEHOLDER, match.group(0), name, start))
            pos = match.end()
        elif char.isascii() and (char.isalpha() or char == "_"):
            match = _QUALIFIED.match(expression, pos)
            if match:
                tokens.append(Token(QUALIFIED, match.group(0), (match.group(1), match.group(2)), start))
                pos = match.end()
            else:
                word = _WORD.match(expression, pos)
                assert word is not None  # the first character is a name character
                pos = word.end()
                if pos < length and expression[pos] == ".":
                    raise fail(f"expected a field name after '{word.group(0)}.'", pos + 1)
                tokens.append(Token(WORD, word.group(0), word.group(0), start))
        elif char in _DIGITS or (char == "-" and expression[pos + 1 : pos + 2] in _DIGITS_NONEMPTY):
            match = _NUMBER.match(expression, pos)
            assert match is not None
            pos = match.end()
            if pos < length and _NAME_CHAR.match(expression, pos):
                raise fail("malformed number", start)
            text = match.group(0)
            value: Union[int, float]
            if match.group(1) or match.group(2):
                value = float(text)
                if not math.isfinite(value):
                    raise fail("number out of range", start)
            else:
                value = int(text)
            tokens.append(Token(NUMBER, text, value, start))
        elif char in "<>!=":
            two = expression[pos : pos + 2]
            if two in ("<=", ">=", "!="):
                tokens.append(Token(OPERATOR, two, two, start))
                pos += 2
            elif two == "==":
                raise fail("use a single = to compare", start)
            elif two == "<>":
                raise fail("use != for 'not equal'", start)
            elif char == "!":
                raise fail("expected != ('!' on its own is not an operator)", start)
            else:
                tokens.append(Token(OPERATOR, char, char, start))
                pos += 1
        elif char in "(),|":
            tokens.append(Token(char, char, char, start))
            pos += 1
        elif char == "'":
            raise fail("strings are written in double quotes, not single quotes", start)
        elif char == "*":
            raise fail('the wildcard is written in double quotes: "*"', start)
        else:
            raise fail(f"unexpected character {char!r}", start)
