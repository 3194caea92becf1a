"""Case in filter expressions: keywords, targets, dataset and field names are
read without regard to case and kept in one canonical spelling; values and
placeholder names keep theirs."""

from __future__ import annotations

import pytest

from personalize_sdk import FilterSyntaxError
from personalize_sdk.filters import CurrentItemField, FieldRef, Schema, format, parse

CANONICAL = (
    'EXCLUDE ItemID WHERE Items.CATEGORY_L1 NOT IN ("Shoes") OR Items.PRICE < CurrentItem.PRICE '
    "IF CurrentUser.AGE > 18 AND CurrentUser.TIER IN ($Tier) "
    '| INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")'
)
SPELLINGS = [
    CANONICAL,
    'exclude itemid where items.category_l1 not in ("Shoes") or items.price < currentitem.price '
    'if currentuser.age > 18 and currentuser.tier in ($Tier) '
    '| include itemid where interactions.event_type in ("View")',
    'Exclude ITEMID Where ITEMS.Category_L1 Not In ("Shoes") Or ITEMS.Price < CURRENTITEM.Price '
    'If CURRENTUSER.Age > 18 And CURRENTUSER.Tier In ($Tier) '
    '| Include itemId Where INTERACTIONS.Event_Type In ("View")',
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_parses_to_the_same_tree_and_formats_canonically(spelling):
    assert parse(spelling) == parse(CANONICAL)
    assert format(spelling) == CANONICAL
    assert str(parse(spelling)) == CANONICAL


def test_values_and_placeholder_names_keep_their_case():
    tree = parse('INCLUDE ItemID WHERE Items.GENRE IN ("Drama", "drama") AND Items.PRICE < $maxPrice')
    assert tree.placeholders == ("maxPrice",)
    assert 'IN ("Drama", "drama")' in format(tree)
    assert parse('INCLUDE ItemID WHERE Items.GENRE IN ("Drama")') != parse(
        'INCLUDE ItemID WHERE Items.GENRE IN ("drama")'
    )
    assert parse("INCLUDE ItemID WHERE Items.PRICE < $P").placeholders != parse(
        "INCLUDE ItemID WHERE Items.PRICE < $p"
    ).placeholders


@pytest.mark.parametrize(
    "target, dataset",
    [("userid", "users"), ("ACTIONID", "actions"), ("ActionId", "ACTION_INTERACTIONS")],
)
def test_targets_and_datasets_of_segments_and_actions_are_canonical(target, dataset):
    field = "EVENT_TYPE" if "INTERACTIONS" in dataset.upper() else "category"
    tree = parse(f'INCLUDE {target} WHERE {dataset}.{field} IN ("a")')
    expression = tree.expressions[0]
    assert expression.target in ("UserID", "ActionID")
    assert expression.dataset in ("Users", "Actions", "Action_Interactions")
    assert expression.where.field.name == field.upper()


def test_two_spellings_of_a_field_count_once_towards_the_field_limit():
    tree = parse('INCLUDE ItemID WHERE Items.genre IN ("a") AND ITEMS.GENRE IN ("b") AND Items.Genre IN ("c")')
    assert tree.fields == ("Items.GENRE",)


def test_hand_built_references_are_canonical_too():
    assert FieldRef("ITEMS", "price") == FieldRef("Items", "PRICE")
    assert str(FieldRef("currentuser", "age")) == "CurrentUser.AGE"
    assert CurrentItemField("genre") == CurrentItemField("GENRE")
    # An unknown dataset is kept as written, for the error message that names it.
    assert FieldRef("Products", "a").dataset == "Products"


@pytest.mark.parametrize(
    "expression, message",
    [
        ('INCLUDE ItemID WHERE item.A IN ("x")', "unknown dataset 'item' (did you mean Items?)"),
        ("INCLUDE ItemID WHERE interactions.timestamp > 3", "only EVENT_TYPE can be filtered on Interactions, not TIMESTAMP"),
        ("INCLUDE ItemID WHERE users.AGE > 3", "ItemID filters can use Items or Interactions, not Users"),
        ('include itemid wher Items.A IN ("x")', "expected WHERE after ItemID, found 'wher' (did you mean WHERE?)"),
        ("INCLUDE ItemID WHERE currentuser.AGE > 3", "CurrentUser can only be used in the IF clause"),
    ],
)
def test_real_mistakes_are_still_named_whatever_the_case(expression, message):
    with pytest.raises(FilterSyntaxError) as info:
        parse(expression)
    assert message in info.value.message
    assert "case matters" not in info.value.message


def test_schema_fields_are_matched_ignoring_case():
    # Avro field names are whatever the schema's author wrote.
    schema = Schema(items={"genres": "categorical", "Price": "float"})
    parse('INCLUDE ItemID WHERE Items.GENRES IN ("x") AND Items.price < 5', schema=schema)
    assert schema.resolve("Items", "GENRES") == "genres"
    with pytest.raises(FilterSyntaxError, match=r"Items.PRICE is a number \(float\): IN matches strings"):
        parse('INCLUDE ItemID WHERE items.price IN ("5")', schema=schema)
    with pytest.raises(FilterSyntaxError, match=r"no field 'GENRE' \(did you mean genres\?\)"):
        parse('INCLUDE ItemID WHERE Items.genre IN ("x")', schema=schema)


def test_a_schema_whose_fields_differ_only_in_case_is_refused():
    with pytest.raises(ValueError, match=r"items\['genre'\]: differs from 'GENRE' only in case"):
        Schema(items={"GENRE": "categorical", "genre": "categorical"})


def test_any_spelling_evaluates_the_same():
    evaluate = pytest.importorskip("personalize_sdk.filters.evaluate")
    catalog = evaluate.ItemCatalog(
        ["a", "b", "c"],
        [{"GENRE": "drama", "price": 5}, {"genre": "comedy", "PRICE": 50}, {"Genre": "drama", "Price": 50}],
    )
    context = evaluate.FilterContext(
        values={"MAX": ("100",)},
        user_properties={"age": "30"},
        interactions={"purchase": ["c"]},
    )
    masks = [
        evaluate.compile_filter(text, catalog).mask(context).tolist()
        for text in (
            'INCLUDE ItemID WHERE Items.GENRE IN ("drama") AND Items.PRICE < $MAX IF CurrentUser.AGE > 18 '
            '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
            'include itemid where items.genre in ("drama") and items.price < $MAX if currentuser.age > 18 '
            '| exclude itemid where INTERACTIONS.event_type in ("Purchase")',
        )
    ]
    assert masks[0] == masks[1] == [True, False, False]
