"""Parse a filter expression into a :class:`~.tree.Filter`.

The grammar (Personalize publishes none; this one follows the documented
elements and examples, see docs/filters.rst)::

    filter      := expression ( "|" expression )*
    expression  := ("INCLUDE" | "EXCLUDE") ("ItemID" | "UserID" | "ActionID")
                   "WHERE" condition ( ("AND" | "OR") condition )*
                   [ "IF" usercond ( "AND" usercond )* ]
    condition   := Dataset.FIELD ( ["NOT"] "IN" valueset | cmp numvalue )
    valueset    := "(" string ( "," string )* ")" | "(" $NAME ")" | CurrentItem.FIELD
    numvalue    := number | $NAME | "(" $NAME ")" | CurrentItem.FIELD
    usercond    := CurrentUser.FIELD ( ["NOT"] "IN" valueset | cmp numvalue )

Keywords, targets, dataset names and field names are read without regard to
case, as Personalize reads them, and the tree keeps their canonical spelling
(``INTERACTIONS.event_type`` becomes ``Interactions.EVENT_TYPE``); strings and
placeholder names keep theirs.

Besides the grammar, the parser enforces Personalize's rules: which datasets
each target may use, one dataset per expression, EVENT_TYPE only on
interactions, ``"*"`` only for event types, no placeholder after ``NOT IN``,
``CurrentItem`` only against item fields, at most 2,500 characters and at most
10 distinct fields. Every refusal is a :class:`FilterSyntaxError` with the
position of the fault.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from ..exceptions import FilterSyntaxError
from . import lexer as lx
from .hints import join_options, suggest
from .lexer import Token, tokenize
from .schema import Schema, validate
from .tree import (
    And,
    Comparison,
    ComparisonValue,
    Condition,
    CurrentItemField,
    Expression,
    FieldRef,
    Filter,
    Membership,
    MembershipValue,
    Number,
    Or,
    Placeholder,
    StringList,
    Where,
    field_refs,
)
from .vocabulary import (
    ACTIONS,
    CURRENT_ITEM,
    CURRENT_USER,
    DATASETS,
    DATASETS_BY_TARGET,
    INTERACTION_DATASETS,
    KEYWORDS,
    MAX_DISTINCT_FIELDS,
    MAX_EXPRESSION_LENGTH,
    TARGETS,
    WILDCARD,
    canonical_dataset,
    canonical_field,
    canonical_word,
)

def parse(expression: str, schema: Optional[Schema] = None) -> Filter:
    """Parse ``expression`` and return its :class:`~.tree.Filter`.

    With a ``schema`` (a :class:`~.schema.Schema`), fields and operators are
    also checked against the items and users schemas.

    Raises :class:`~personalize_sdk.exceptions.FilterSyntaxError` (a
    ``ValueError``) for anything Personalize would refuse, and nothing else,
    whatever the input.
    """
    if not isinstance(expression, str):
        raise FilterSyntaxError(f"a filter expression must be a string, not {type(expression).__name__}")
    if not expression.strip():
        raise FilterSyntaxError("the filter expression is empty", expression, 0)
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise FilterSyntaxError(
            f"a filter expression can be at most {MAX_EXPRESSION_LENGTH} characters; "
            f"this one has {len(expression)}",
            expression,
            MAX_EXPRESSION_LENGTH,
        )
    tree = _Parser(expression, tokenize(expression)).parse_filter()
    if schema is not None:
        validate(tree, schema)
    return tree


class _Parser:
    def __init__(self, source: str, tokens: List[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0

    # -- token helpers ---------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != lx.END:
            self.index += 1
        return token

    def at_word(self, word: str) -> bool:
        return self.tok.kind == lx.WORD and self.tok.text.casefold() == word.casefold()

    def error(self, message: str, position: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, self.source, position)

    def unexpected(self, expected: str, options: Sequence[str] = ()) -> FilterSyntaxError:
        tok = self.tok
        hint = suggest(tok.text, options) if tok.kind == lx.WORD and options else ""
        return self.error(f"expected {expected}, found {tok.describe()}{hint}", tok.position)

    def expect_word(self, options: Tuple[str, ...]) -> str:
        """The canonical spelling of the option the current word names."""
        if self.tok.kind == lx.WORD:
            word = canonical_word(self.tok.text, options)
            if word is not None:
                self.advance()
                return word
        raise self.unexpected(join_options(options), options)

    def is_current_item(self, tok: Token) -> bool:
        return tok.kind == lx.QUALIFIED and canonical_dataset(tok.value[0]) == CURRENT_ITEM  # type: ignore[index]

    # -- grammar ---------------------------------------------------------
    def parse_filter(self) -> Filter:
        expressions = [self.parse_expression()]
        while self.tok.kind == lx.PIPE:
            self.advance()
            expressions.append(self.parse_expression())
        target = expressions[0].target
        for expression in expressions[1:]:
            if expression.target != target:
                raise self.error(
                    f"every expression chained with | must filter the same thing: "
                    f"the first filters {target}, this one {expression.target}",
                    expression.position,
                )
        self.check_field_limit(expressions)
        return Filter(tuple(expressions), source=self.source)

    def parse_expression(self) -> Expression:
        start = self.tok.position
        if self.tok.kind == lx.END:
            raise self.error("expected an expression (INCLUDE or EXCLUDE ...) here", start)
        action = self.expect_word(ACTIONS)
        target = self.expect_word(TARGETS)
        if not self.at_word("WHERE"):
            if self.tok.kind == lx.QUALIFIED:
                raise self.error(f"missing WHERE after {target}", self.tok.position)
            raise self.unexpected(f"WHERE after {target}", ("WHERE",))
        self.advance()
        where = self.parse_where(target)
        if_conditions: Tuple[Condition, ...] = ()
        if self.at_word("IF"):
            if_conditions = self.parse_if(target)
        if self.at_word("IF"):
            raise self.error("an expression can have only one IF clause", self.tok.position)
        if if_conditions and self.at_word("OR"):
            raise self.error("IF conditions can only be joined with AND", self.tok.position)
        if self.tok.kind not in (lx.PIPE, lx.END):
            joiners = "AND" if if_conditions else "AND, OR, IF"
            expected = f"{joiners}, '|' or the end of the expression"
            raise self.unexpected(expected, KEYWORDS)
        return Expression(action, target, where, if_conditions, position=start)

    def parse_where(self, target: str) -> Where:
        first = self.parse_condition(target)
        dataset = first.field.dataset
        groups: List[List[Condition]] = [[first]]
        while self.at_word("AND") or self.at_word("OR"):
            joiner = self.advance().text.upper()
            condition = self.parse_condition(target)
            if condition.field.dataset != dataset:
                raise self.error(
                    f"every condition in one expression must use the same dataset as the first "
                    f"({dataset}); chain a separate expression with | to filter on "
                    f"{condition.field.dataset}",
                    condition.field.position,
                )
            if joiner == "AND":
                groups[-1].append(condition)
            else:
                groups.append([condition])
        terms = [group[0] if len(group) == 1 else And(tuple(group)) for group in groups]
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def parse_if(self, target: str) -> Tuple[Condition, ...]:
        if_token = self.advance()
        if target == "UserID":
            raise self.error(
                "IF CurrentUser... belongs to item and action filters; a user segment has no current user",
                if_token.position,
            )
        conditions = [self.parse_condition(target, in_if=True)]
        while self.at_word("AND"):
            self.advance()
            conditions.append(self.parse_condition(target, in_if=True))
        return tuple(conditions)

    def parse_condition(self, target: str, *, in_if: bool = False) -> Condition:
        tok = self.tok
        if tok.kind != lx.QUALIFIED:
            if in_if:
                raise self.unexpected("a condition on CurrentUser.FIELD after IF")
            if tok.kind == lx.WORD and canonical_dataset(tok.text) in DATASETS:
                raise self.error(f"expected {canonical_dataset(tok.text)}.FIELD", tok.position)
            raise self.unexpected('a condition such as Items.FIELD IN ("value")')
        written, name = tok.value  # type: ignore[misc]
        dataset = canonical_dataset(written)
        name = canonical_field(name)
        if dataset is None:
            hint = suggest(written, DATASETS + (CURRENT_USER, CURRENT_ITEM))
            raise self.error(f"unknown dataset {written!r}{hint}", tok.position)
        self.check_dataset(tok, dataset, name, target, in_if)
        ref = FieldRef(dataset, name, position=tok.position)
        self.advance()
        if self.at_word("NOT") or self.at_word("IN"):
            negated = self.advance().text.upper() == "NOT"
            if negated and not self.at_word("IN"):
                raise self.unexpected("IN after NOT", ("IN",))
            if negated:
                self.advance()
            values = self.parse_valueset(ref, negated, in_if)
            return Membership(ref, values, negated, position=tok.position)
        if self.tok.kind == lx.OPERATOR:
            op = self.advance()
            if dataset in INTERACTION_DATASETS:
                raise self.error(f'EVENT_TYPE is a string: match it with IN ("..."), not {op.text}', op.position)
            return Comparison(ref, op.text, self.parse_numvalue(ref, op, in_if), position=tok.position)
        raise self.unexpected(f"IN, NOT IN or a comparison operator after {tok.text}", ("IN", "NOT"))

    def check_dataset(self, tok: Token, dataset: str, name: str, target: str, in_if: bool) -> None:
        if in_if:
            if dataset != CURRENT_USER:
                raise self.error(f"an IF clause can only test CurrentUser.FIELD, not {dataset}", tok.position)
            return
        if dataset == CURRENT_USER:
            raise self.error("CurrentUser can only be used in the IF clause at the end of an expression", tok.position)
        if dataset == CURRENT_ITEM:
            raise self.error(
                "CurrentItem goes on the right-hand side, as in Items.PRICE < CurrentItem.PRICE", tok.position
            )
        allowed = DATASETS_BY_TARGET[target]
        if dataset not in allowed:
            extra = " (test the requesting user with IF CurrentUser.FIELD)" if dataset == "Users" else ""
            raise self.error(f"{target} filters can use {join_options(allowed)}, not {dataset}{extra}", tok.position)
        if dataset in INTERACTION_DATASETS and name != "EVENT_TYPE":
            raise self.error(f"only EVENT_TYPE can be filtered on {dataset}, not {name}", tok.position)

    def current_item(self, ref: FieldRef, in_if: bool) -> CurrentItemField:
        tok = self.advance()
        if in_if:
            raise self.error("CurrentItem cannot be used in an IF clause", tok.position)
        if ref.dataset != "Items":
            raise self.error(
                f"CurrentItem.FIELD can only be used against Items fields (related-item filters), not {ref}",
                tok.position,
            )
        return CurrentItemField(canonical_field(tok.value[1]), position=tok.position)  # type: ignore[index]

    def parse_valueset(self, ref: FieldRef, negated: bool, in_if: bool) -> MembershipValue:
        tok = self.tok
        keyword = "NOT IN" if negated else "IN"
        if self.is_current_item(tok):
            return self.current_item(ref, in_if)
        if tok.kind == lx.PLACEHOLDER:
            raise self.error(f"put the placeholder in parentheses: {keyword} ({tok.text})", tok.position)
        if tok.kind == lx.STRING:
            raise self.error(f'put the values in parentheses: {keyword} ({tok.text})', tok.position)
        if tok.kind != lx.LPAREN:
            raise self.unexpected(f"a parenthesised list of values after {keyword}")
        opening = self.advance()
        first = self.tok
        if first.kind == lx.PLACEHOLDER:
            if negated:
                raise self.error(
                    f"a placeholder cannot follow NOT IN; write IN ({first.text}) and swap INCLUDE/EXCLUDE",
                    first.position,
                )
            self.advance()
            if self.tok.kind == lx.COMMA:
                raise self.error("a placeholder must be the only value in its list", self.tok.position)
            self.close_list(opening)
            return Placeholder(first.value, position=first.position)  # type: ignore[arg-type]
        if first.kind == lx.RPAREN:
            raise self.error("empty value list: give at least one double-quoted value", opening.position)
        values: List[str] = []
        while True:
            tok = self.tok
            if tok.kind == lx.STRING:
                if tok.value == WILDCARD and ref.dataset not in INTERACTION_DATASETS:
                    raise self.error('"*" (every event type) is only valid with Interactions.EVENT_TYPE', tok.position)
                values.append(tok.value)  # type: ignore[arg-type]
                self.advance()
            elif tok.kind == lx.NUMBER:
                raise self.error(f'values in a list are double-quoted strings: write "{tok.text}"', tok.position)
            elif tok.kind == lx.PLACEHOLDER:
                raise self.error("a placeholder must be the only value in its list", tok.position)
            elif tok.kind == lx.END:
                raise self.error("unclosed value list: this ( is never closed", opening.position)
            elif tok.kind == lx.RPAREN and values:
                raise self.error("expected a value after ','", tok.position)
            else:
                raise self.unexpected("a double-quoted value")
            if self.tok.kind != lx.COMMA:
                break
            self.advance()
        self.close_list(opening)
        return StringList(tuple(values), position=opening.position)

    def close_list(self, opening: Token) -> None:
        if self.tok.kind == lx.RPAREN:
            self.advance()
        elif self.tok.kind == lx.END:
            raise self.error("unclosed value list: this ( is never closed", opening.position)
        else:
            raise self.unexpected("',' or ')'")

    def parse_numvalue(self, ref: FieldRef, op: Token, in_if: bool) -> ComparisonValue:
        tok = self.tok
        if tok.kind == lx.NUMBER:
            self.advance()
            return Number(tok.value, position=tok.position)  # type: ignore[arg-type]
        if tok.kind == lx.PLACEHOLDER:
            self.advance()
            return Placeholder(tok.value, position=tok.position)  # type: ignore[arg-type]
        if tok.kind == lx.LPAREN:
            opening = self.advance()
            inner = self.tok
            if inner.kind != lx.PLACEHOLDER:
                raise self.error(
                    f"only a placeholder may be parenthesised after {op.text}, as in ($VALUE)", inner.position
                )
            self.advance()
            self.close_list(opening)
            return Placeholder(inner.value, position=inner.position)  # type: ignore[arg-type]
        if self.is_current_item(tok):
            return self.current_item(ref, in_if)
        if tok.kind == lx.STRING:
            raise self.error(
                f'{op.text} compares numbers; to match a string use IN ({tok.text})', tok.position
            )
        raise self.unexpected(f"a number, a $PLACEHOLDER or CurrentItem.FIELD after {op.text}")

    def check_field_limit(self, expressions: Sequence[Expression]) -> None:
        seen: set[str] = set()
        for expression in expressions:
            for condition in expression.conditions():
                for name, position in field_refs(condition):
                    if name in seen:
                        continue
                    seen.add(name)
                    if len(seen) > MAX_DISTINCT_FIELDS:
                        raise self.error(
                            f"a filter can use at most {MAX_DISTINCT_FIELDS} distinct fields; "
                            f"{name} is field number {len(seen)}",
                            position,
                        )
