"""parse() and format(): the documented examples, the tree shape, and a table
of malformed expressions with the position of each fault."""

from __future__ import annotations

import pytest

from personalize_sdk import FilterSyntaxError
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
    format,
    parse,
)

# Reference section 5.5, verbatim (the one documented typo is tested apart).
DOCUMENTED_EXAMPLES = [
    'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)',
    'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
    'EXCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)',
    'INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE',
    'EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoe") AND Items.CATEGORY_L2 NOT IN ("boot")',
    'INCLUDE ItemID WHERE Items.PRICE <= $PRICE',
    'INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < $DATE',
    'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)',
    'INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.CREATION_TIMESTAMP > $DATE',
    'EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE',
    'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("watch") AND Items.CATEGORY_L2 IN ("luxury") IF CurrentUser.AGE > 18',
    'INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("favorite")',
    'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) '
    '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    'INCLUDE ItemID WHERE Items.OWNER IN ("in-house")',
    'INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > $DATE',
    'INCLUDE ItemID WHERE Items.CATEGORY IN ("clothing") AND Items.AVAILABLE IN ("True")',
    'INCLUDE ItemID WHERE Items.CATEGORY IN ("clothing") OR Items.CREATION_TIMESTAMP > $DATE',
    'INCLUDE UserID WHERE Users.MEMBERSHIP_STATUS IN ($MEMBERSHIP)',
    'EXCLUDE UserID WHERE Users.AGE < $AGE',
    'INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")',
    'INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click, rating")',  # the 2023 guide's spelling
    'EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)',
    'INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($EVENT_TYPE)',
    'EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")',
    'EXCLUDE ActionID WHERE Actions.CATEGORY IN ($CATEGORY)',
    'INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)',
    'EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.MEMBERSHIP = $PREMIUM',
    # "Useful ECOMMERCE patterns" from the same section.
    'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)',
]

# Only these two are not already canonical: the docs parenthesise a
# placeholder after a comparison operator.
NOT_CANONICAL = {
    'INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)': 'INCLUDE ActionID WHERE Actions.VALUE > $VALUE',
    'EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.MEMBERSHIP = $PREMIUM': (
        'EXCLUDE ActionID WHERE Actions.VALUE < $VALUE IF CurrentUser.MEMBERSHIP = $PREMIUM'
    ),
}


@pytest.mark.parametrize("expression", DOCUMENTED_EXAMPLES)
def test_documented_examples_parse_and_round_trip(expression):
    tree = parse(expression)
    text = format(tree)
    assert text == NOT_CANONICAL.get(expression, expression)
    assert parse(text) == tree
    assert format(parse(text)) == text


def test_the_documented_action_example_with_a_typo_is_refused_with_a_suggestion():
    # The docs write "Action." where every other example has "Actions."; the
    # reference marks it as a likely typo, and we refuse it rather than guess.
    expression = (
        'INCLUDE ActionID WHERE Action.MEMBERSHIP_LEVEL IN ("Premium") IF CurrentUser.MEMBERSHIP = $PREMIUM'
    )
    with pytest.raises(FilterSyntaxError) as info:
        parse(expression)
    assert info.value.position == expression.index("Action.")
    assert "did you mean Actions?" in info.value.message
    corrected = expression.replace("Action.", "Actions.")
    assert format(parse(corrected)) == corrected


def test_tree_of_a_chained_filter():
    tree = parse(
        'INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN ($GENRE) '
        '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("click", "*") IF CurrentUser.AGE >= -1.5'
    )
    assert tree == Filter(
        (
            Expression(
                "INCLUDE",
                "ItemID",
                And(
                    (
                        Comparison(FieldRef("Items", "PRICE"), "<", CurrentItemField("PRICE")),
                        Membership(FieldRef("Items", "GENRE"), Placeholder("GENRE")),
                    )
                ),
            ),
            Expression(
                "EXCLUDE",
                "ItemID",
                Membership(FieldRef("Interactions", "EVENT_TYPE"), StringList(("click", "*")), negated=True),
                (Comparison(FieldRef("CurrentUser", "AGE"), ">=", Number(-1.5)),),
            ),
        )
    )
    assert tree.target == "ItemID"
    assert tree.placeholders == ("GENRE",)
    assert tree.fields == ("Items.PRICE", "Items.GENRE", "Interactions.EVENT_TYPE", "Users.AGE")
    assert tree.expressions[0].dataset == "Items"


def test_and_binds_tighter_than_or():
    a, b, c, d = (f'Items.{x} IN ("{x.lower()}")' for x in "ABCD")
    tree = parse(f"INCLUDE ItemID WHERE {a} AND {b} OR {c} OR {d} AND {a}")
    where = tree.expressions[0].where
    assert isinstance(where, Or)
    assert [type(t).__name__ for t in where.terms] == ["And", "Membership", "And"]
    assert format(tree) == f"INCLUDE ItemID WHERE {a} AND {b} OR {c} OR {d} AND {a}"


def test_placeholders_are_listed_once_in_order_of_first_use():
    tree = parse(
        "INCLUDE ItemID WHERE Items.PRICE < $MAX AND Items.PRICE > $MIN "
        "| EXCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) IF CurrentUser.AGE < $MAX"
    )
    assert tree.placeholders == ("MAX", "MIN", "CATEGORY")
    assert tree.expressions[1].placeholders == ("CATEGORY", "MAX")


def test_numbers_keep_their_type_and_format_canonically():
    tree = parse("INCLUDE ItemID WHERE Items.A > 007 AND Items.B < 1.50 AND Items.C = -2e3 AND Items.D != 1596238243")
    values = [c.value.value for c in tree.expressions[0].where.conditions]
    assert values == [7, 1.5, -2000.0, 1596238243]
    assert [type(v) for v in values] == [int, float, float, int]
    assert format(tree) == (
        "INCLUDE ItemID WHERE Items.A > 7 AND Items.B < 1.5 AND Items.C = -2000.0 AND Items.D != 1596238243"
    )


def test_whitespace_is_free_and_format_normalises_it():
    text = 'EXCLUDE\tItemID\n  WHERE Items.CATEGORY_L1 IN(  "shoe"  ,"boot")|INCLUDE ItemID WHERE Items.PRICE<=$P'
    assert format(text) == (
        'EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoe", "boot") | INCLUDE ItemID WHERE Items.PRICE <= $P'
    )


def test_strings_keep_commas_pipes_and_spaces_exactly():
    tree = parse('INCLUDE ItemID WHERE Items.A IN (" a, b ", "x|y", "", "Ünïcødé")')
    assert tree.expressions[0].where.values.values == (" a, b ", "x|y", "", "Ünïcødé")


def test_the_2500_character_limit_is_inclusive():
    head = 'INCLUDE ItemID WHERE Items.A IN ("'
    padding = 2500 - len(head) - 2
    assert len(format(parse(head + "x" * padding + '")'))) == 2500
    with pytest.raises(FilterSyntaxError) as info:
        parse(head + "x" * (padding + 1) + '")')
    assert info.value.position == 2500
    assert "2500" in info.value.message and "2501" in info.value.message


def test_ten_distinct_fields_are_allowed_and_the_eleventh_is_pointed_at():
    conditions = [f'Items.F{i} IN ("x")' for i in range(10)]
    text = "INCLUDE ItemID WHERE " + " AND ".join(conditions + ['Items.F0 IN ("again")'])
    assert len(parse(text).fields) == 10
    eleventh = text + ' | EXCLUDE ItemID WHERE Items.F10 IN ("y")'
    with pytest.raises(FilterSyntaxError) as info:
        parse(eleventh)
    assert info.value.position == eleventh.index("Items.F10")
    assert "at most 10 distinct fields" in info.value.message


def test_current_item_and_current_user_fields_count_towards_the_limit():
    conditions = [f"Items.F{i} < CurrentItem.G{i}" for i in range(5)]
    text = "INCLUDE ItemID WHERE " + " AND ".join(conditions) + " IF CurrentUser.AGE > 1"
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    assert info.value.position == text.index("CurrentUser.AGE")


def test_the_error_shows_a_caret_under_the_fault():
    text = 'INCLUDE ItemID WHERE Items.PRICE < "10"'
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    lines = str(info.value).splitlines()
    assert lines[1].strip() == text
    assert lines[2].index("^") - lines[1].index("I") == text.index('"10"')
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [None, 42, b"INCLUDE ItemID WHERE Items.A IN (\"x\")", ["INCLUDE"], object()])
def test_a_non_string_is_a_filter_syntax_error(value):
    with pytest.raises(FilterSyntaxError, match="must be a string"):
        parse(value)


W = "INCLUDE ItemID WHERE "
I_AX = W + 'Items.A IN ("x")'

# (expression, where the fault is: a substring whose first occurrence marks it,
# or an explicit index, or None for the end), and a piece of the message.
MALFORMED = [
    ("", 0, "empty"),
    ("   \n ", 0, "empty"),
    ('INCLUDES ItemID WHERE Items.A IN ("x")', 0, "expected INCLUDE or EXCLUDE"),
    ('INCLUD ItemID WHERE Items.A IN ("x")', 0, "(did you mean INCLUDE?)"),
    ('INCLUDE Item WHERE Items.A IN ("x")', "Item ", "expected ItemID, UserID or ActionID"),
    ('INCLUDE ItemIDs WHERE Items.A IN ("x")', "ItemIDs", "(did you mean ItemID?)"),
    ('INCLUDE ItemID Items.A IN ("x")', "Items.A", "missing WHERE"),
    ("INCLUDE ItemID", None, "expected WHERE"),
    ('INCLUDE ItemID WHERE Item.A IN ("x")', "Item.A", "unknown dataset 'Item' (did you mean Items?)"),
    ('INCLUDE ItemID WHERE Products.A IN ("x")', "Products", "unknown dataset 'Products'"),
    (W + "Users.AGE > 3", "Users", "ItemID filters can use Items or Interactions, not Users"),
    ('INCLUDE UserID WHERE Items.A IN ("x")', "Items", "UserID filters can use Users or Interactions"),
    (W + "Interactions.TIMESTAMP > 3", "Interactions", "only EVENT_TYPE can be filtered"),
    (W + "Interactions.EVENT_TYPE > 3", ">", "EVENT_TYPE is a string"),
    (W + "Items.A IN ()", "(", "empty value list"),
    (W + 'Items.A IN ("x"', "(", "unclosed value list"),
    (W + 'Items.A IN ($X', "(", "unclosed value list"),
    (W + "Items.A IN (", "(", "unclosed value list"),
    (W + 'Items.A IN ("x', '"', "unterminated string"),
    (W + 'Items.A IN ("x",)', ")", "expected a value after ','"),
    (W + 'Items.A IN ("x" "y")', '"y"', "expected ',' or ')'"),
    (W + 'Items.A IN ("x", $Y)', "$", "only value in its list"),
    (W + "Items.A IN ($Y, $Z)", ",", "only value in its list"),
    (W + "Items.A IN $Y", "$", "put the placeholder in parentheses"),
    (W + 'Items.A IN "x"', '"', "put the values in parentheses"),
    (W + "Items.A IN (1)", "1", "double-quoted strings"),
    (W + "Items.A IN ('x')", "'", "double quotes"),
    (W + "Items.A NOT IN ($X)", "$", "placeholder cannot follow NOT IN"),
    (W + 'Items.A IN ("*")', '"*"', "only valid with Interactions.EVENT_TYPE"),
    (W + "Items.A IN (*)", "*", 'written in double quotes: "*"'),
    (W + 'Items.A IN ("x\\y")', "\\", "backslashes"),
    (W + 'Items.A IN ("x\ty")', "\t", "control character"),
    (W + 'Items.PRICE < "10"', '"10"', "compares numbers"),
    (W + "Items.PRICE == 5", "==", "single ="),
    (W + "Items.PRICE <> 5", "<>", "!="),
    (W + "Items.PRICE ! 5", "!", "expected !="),
    (W + "Items.PRICE < (5)", "5", "only a placeholder may be parenthesised"),
    (W + "Items.PRICE < 12abc", "12abc", "malformed number"),
    (W + "Items.PRICE < 1e999", "1e999", "out of range"),
    (W + "Items.PRICE < $", len(W + "Items.PRICE < $"), "placeholder name"),
    (W + "Items.PRICE < $" + "A" * 51, "$", "at most 50 characters"),
    (W + "Items.PRICE < Users.AGE", "Users.AGE", "expected a number, a $PLACEHOLDER or CurrentItem.FIELD"),
    (W + "Items.PRICE < CurrentUser.AGE", "CurrentUser", "expected a number"),
    (W + "Items.PRICE <", None, "expected a number"),
    (W + 'Items.A NOT ("x")', "(", "expected IN after NOT"),
    (W + 'Items.A LIKE ("x")', "LIKE", "expected IN, NOT IN or a comparison operator"),
    (W + 'Items. IN ("x")', len(W + "Items."), "expected a field name"),
    (W + "Items", "Items", "expected Items.FIELD"),
    (W + 'A IN ("x")', "A IN", "expected a condition"),
    (W, None, "expected a condition"),
    (I_AX + " AND", None, "expected a condition"),
    (I_AX + ' ANDD Items.B IN ("y")', "ANDD", "(did you mean AND?)"),
    (I_AX + ' where Items.B IN ("y")', "where", "'|' or the end of the expression, found 'where'"),
    (W + 'ITEMS.A IN ("x") AND interactions.EVENT_TYPE IN ("View")', "interactions", "same dataset as the first (Items)"),
    (W + "interactions.timestamp > 3", "interactions", "only EVENT_TYPE can be filtered on Interactions, not TIMESTAMP"),
    (I_AX + ' Items.B IN ("y")', "Items.B", "expected AND, OR, IF, '|' or the end"),
    (I_AX + " AND Interactions.EVENT_TYPE IN (\"View\")", "Interactions", "same dataset as the first (Items)"),
    (W + "CurrentUser.AGE > 3", "CurrentUser", "only be used in the IF clause"),
    (W + "CurrentItem.PRICE > 3", "CurrentItem", "right-hand side"),
    (I_AX + ' IF Items.B IN ("y")', "Items.B", "IF clause can only test CurrentUser"),
    (I_AX + " IF CurrentUser.A > 1 IF CurrentUser.B > 2", "IF CurrentUser.B", "only one IF clause"),
    (I_AX + " IF CurrentUser.A > 1 OR CurrentUser.B > 2", "OR", "only be joined with AND"),
    (I_AX + ' IF CurrentUser.A > 1 AND Items.B IN ("y")', "Items.B", "IF clause can only test CurrentUser"),
    (I_AX + " IF CurrentUser.A IN CurrentItem.B", "CurrentItem", "cannot be used in an IF clause"),
    (I_AX + " IF", None, "CurrentUser.FIELD after IF"),
    ('INCLUDE UserID WHERE Users.A IN ("x") IF CurrentUser.B > 1', "IF", "a user segment has no current user"),
    ("INCLUDE UserID WHERE Users.A IN CurrentItem.B", "CurrentItem", "only be used against Items fields"),
    (I_AX + " |", None, "expected an expression"),
    (I_AX + " || " + I_AX, len(I_AX) + 2, "expected INCLUDE or EXCLUDE, found '|'"),
    (I_AX + " | " + I_AX + " |", None, "expected an expression"),
    (I_AX + ' | INCLUDE UserID WHERE Users.B IN ("y")', "INCLUDE UserID", "must filter the same thing"),
    (I_AX + " @", "@", "unexpected character '@'"),
    ('INCLUDE ItemID WHERE Items.A IN ("x") ; DROP TABLE', ";", "unexpected character"),
]


def _position(expression, where):
    if where is None:
        return len(expression)
    if isinstance(where, int):
        return where
    return expression.index(where)


@pytest.mark.parametrize("expression, where, message", MALFORMED, ids=[m[2] for m in MALFORMED])
def test_malformed_expressions_are_refused_at_the_fault(expression, where, message):
    with pytest.raises(FilterSyntaxError) as info:
        parse(expression)
    assert info.value.position == _position(expression, where), str(info.value)
    assert message in info.value.message
    assert info.value.expression == expression


def test_format_of_a_string_canonicalises_it():
    assert format(' INCLUDE  ItemID WHERE Items.A IN ("x")') == I_AX
    with pytest.raises(FilterSyntaxError):
        format("INCLUDE")


def test_format_refuses_a_tree_whose_strings_would_change_the_expression():
    # A hand-built tree with a quote in a value would format to a different
    # expression; format refuses rather than write it.
    sneaky = Filter(
        (Expression("INCLUDE", "ItemID", Membership(FieldRef("Items", "A"), StringList(('x") | EXCLUDE ("',)))),)
    )
    with pytest.raises(FilterSyntaxError, match="cannot be written"):
        format(sneaky)
    bad_name = Filter((Expression("INCLUDE", "ItemID", Membership(FieldRef("Items", "A B"), Placeholder("X"))),))
    with pytest.raises(FilterSyntaxError, match="not a valid name"):
        format(bad_name)


def test_str_of_a_filter_is_its_canonical_text():
    assert str(parse(' EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ( "Purchase" ) ')) == (
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'
    )


def test_positions_do_not_take_part_in_equality():
    assert parse(I_AX) == parse("   " + I_AX)
    assert hash(parse(I_AX)) == hash(parse("  " + I_AX))
