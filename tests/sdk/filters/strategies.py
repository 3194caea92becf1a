"""Hypothesis strategies for filter trees and filter-like text."""

from __future__ import annotations

from hypothesis import strategies as st

from personalize_sdk.filters import (
    And,
    Comparison,
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

OPERATORS = ("=", "!=", "<", "<=", ">", ">=")

field_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
placeholder_names = st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True)
# Anything Personalize can quote: no double quote, backslash or control character.
quotable = st.text(
    alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=("Cc", "Cs")), max_size=8
)
numbers = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
)

# Which datasets each target may use in WHERE, and whether it may use
# CurrentItem and IF.
TARGETS = {
    "ItemID": ("Items", "Interactions", True, True),
    "UserID": ("Users", "Interactions", False, False),
    "ActionID": ("Actions", "Action_Interactions", False, True),
}


@st.composite
def conditions(draw, dataset, fields, *, current_item, placeholders, strings=quotable, numbers=numbers):
    """One condition on ``dataset`` (an attribute dataset or an interactions one)."""
    if dataset in ("Interactions", "Action_Interactions"):
        negated = draw(st.booleans())
        ref = FieldRef(dataset, "EVENT_TYPE")
        if not negated and draw(st.booleans()):
            return Membership(ref, Placeholder(draw(placeholders)))
        values = draw(st.lists(st.one_of(strings, strings, strings, st.just("*")), min_size=1, max_size=3))
        return Membership(ref, StringList(tuple(values)), negated)
    ref = FieldRef(dataset, draw(st.sampled_from(fields)))
    value_kinds = ["literal", "placeholder"] + (["current"] if current_item else [])
    kind = draw(st.sampled_from(value_kinds))
    if draw(st.booleans()):
        negated = draw(st.booleans()) if kind != "placeholder" else False
        if kind == "literal":
            value = StringList(tuple(draw(st.lists(strings.filter(lambda s: s != "*"), min_size=1, max_size=3))))
        elif kind == "placeholder":
            value = Placeholder(draw(placeholders))
        else:
            value = CurrentItemField(draw(st.sampled_from(fields)))
        return Membership(ref, value, negated)
    op = draw(st.sampled_from(OPERATORS))
    if kind == "literal":
        value = Number(draw(numbers))
    elif kind == "placeholder":
        value = Placeholder(draw(placeholders))
    else:
        value = CurrentItemField(draw(st.sampled_from(fields)))
    return Comparison(ref, op, value)


@st.composite
def where_parts(draw, dataset, fields, size=3, **kwargs):
    groups = draw(
        st.lists(
            st.lists(conditions(dataset, fields, **kwargs), min_size=1, max_size=size), min_size=1, max_size=size
        )
    )
    terms = [g[0] if len(g) == 1 else And(tuple(g)) for g in groups]
    return terms[0] if len(terms) == 1 else Or(tuple(terms))


@st.composite
def expressions(draw, target, fields, placeholders=placeholder_names, strings=quotable, size=3, numbers=numbers):
    attributes, interactions, current_item, may_if = TARGETS[target]
    dataset = draw(st.sampled_from((attributes, interactions)))
    where = draw(
        where_parts(
            dataset,
            fields,
            size,
            current_item=current_item,
            placeholders=placeholders,
            strings=strings,
            numbers=numbers,
        )
    )
    if_conditions = ()
    if may_if and draw(st.booleans()):
        if_conditions = tuple(
            draw(
                st.lists(
                    conditions(
                        "CurrentUser",
                        fields,
                        current_item=False,
                        placeholders=placeholders,
                        strings=strings,
                        numbers=numbers,
                    ),
                    min_size=1,
                    max_size=2,
                )
            )
        )
    action = draw(st.sampled_from(("INCLUDE", "EXCLUDE")))
    return Expression(action, target, where, if_conditions)


@st.composite
def filters(
    draw,
    targets=tuple(TARGETS),
    fields=None,
    placeholders=placeholder_names,
    strings=quotable,
    size=3,
    numbers=numbers,
):
    """Valid filter trees, of up to ``size`` expressions, OR terms and ANDed
    conditions. Four field names at most keep every filter within the
    10-distinct-field limit (4 attribute + 4 user fields + EVENT_TYPE)."""
    target = draw(st.sampled_from(targets))
    if fields is None:
        fields = draw(st.lists(field_names, min_size=1, max_size=4, unique=True))
    chain = draw(st.lists(expressions(target, fields, placeholders, strings, size, numbers), min_size=1, max_size=size))
    return Filter(tuple(chain))


FRAGMENTS = (
    "INCLUDE", "EXCLUDE", "ItemID", "UserID", "ActionID", "WHERE", "AND", "OR", "NOT", "IN", "IF",
    "Items.A", "Items.PRICE", "Users.B", "Interactions.EVENT_TYPE", "Interactions.X", "Actions.C",
    "CurrentItem.A", "CurrentUser.AGE", "Item.A", "Items.", ".", "(", ")", ",", "|", '"x"', '"*"', '""',
    '"', "'", "*", "$P", "$", "($P)", "5", "-1.5", "1e5", "1e999", "12ab", "<", "<=", ">", ">=", "=",
    "!=", "==", "!", "<>", "\\", "\n", "\t", "\x00", "include", "é", "\u2028", "٣",
)

#: Text made of the language's own pieces, which reaches far deeper into the
#: parser than random characters do.
token_soup = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(("", " ", "  "))), max_size=25
).map(lambda parts: "".join(fragment + space for fragment, space in parts))
