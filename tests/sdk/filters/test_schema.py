"""Validation against the dataset schemas, at configuration time."""

from __future__ import annotations

import json

import pytest

from personalize_sdk import Client, ConfigurationError, FilterSyntaxError
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.filters import Expression, FieldRef, Filter, Membership, Schema, StringList, parse, validate

# Reference section 4.2, plus the reserved and a few custom fields.
ITEMS_AVRO = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "PRICE", "type": "float"},
        {"name": "CATEGORY_L1", "type": ["string"], "categorical": True},
        {"name": "CATEGORY_L2", "type": ["null", "string"], "categorical": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
        {"name": "PRODUCT_DESCRIPTION", "type": ["null", "string"], "textual": True},
        {"name": "ADULT", "type": "boolean"},
        {"name": "AVAILABLE", "type": "string", "categorical": True},
    ],
    "version": "1.0",
}
USERS_AVRO = json.dumps(
    {
        "type": "record",
        "name": "Users",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "MEMBERSHIP_STATUS", "type": "string", "categorical": True},
            {"name": "AGE", "type": "int"},
        ],
    }
)
SCHEMA = Schema.from_avro(items=ITEMS_AVRO, users=USERS_AVRO)
W = "INCLUDE ItemID WHERE "


def test_from_avro_reads_types():
    assert SCHEMA.fields("Items") == {
        "ITEM_ID": "string",
        "PRICE": "float",
        "CATEGORY_L1": "categorical",
        "CATEGORY_L2": "categorical",
        "CREATION_TIMESTAMP": "long",
        "PRODUCT_DESCRIPTION": "textual",
        "ADULT": "boolean",
        "AVAILABLE": "categorical",
    }
    assert SCHEMA.fields("Users") == {"USER_ID": "string", "MEMBERSHIP_STATUS": "categorical", "AGE": "int"}
    assert SCHEMA.fields("Actions") is None
    assert SCHEMA == Schema(items=SCHEMA.fields("Items"), users=SCHEMA.fields("Users"))
    assert "items=" in repr(SCHEMA)


def test_a_schema_refuses_unknown_types():
    with pytest.raises(ValueError, match="unknown field type 'str'"):
        Schema(items={"A": "str"})
    with pytest.raises(ValueError, match="unsupported union"):
        Schema.from_avro(items={"fields": [{"name": "A", "type": ["int", "string"]}]})
    with pytest.raises(TypeError):
        Schema.from_avro(items=42)


@pytest.mark.parametrize(
    "expression",
    [
        W + 'Items.CATEGORY_L1 IN ("shoes") AND Items.CATEGORY_L2 IN ($L2)',
        W + "Items.PRICE < CurrentItem.PRICE AND Items.CATEGORY_L1 IN CurrentItem.CATEGORY_L1",
        W + "Items.PRICE >= 10 AND Items.CREATION_TIMESTAMP > $DATE AND Items.PRICE != $P",
        W + "Items.CATEGORY_L1 = $C AND Items.CATEGORY_L2 != CurrentItem.CATEGORY_L1",
        W + 'Items.AVAILABLE IN ("True") IF CurrentUser.AGE > 18 AND CurrentUser.MEMBERSHIP_STATUS IN ("gold")',
        W + 'Items.AVAILABLE IN ("True") IF CurrentUser.MEMBERSHIP_STATUS = $STATUS',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
        'INCLUDE UserID WHERE Users.MEMBERSHIP_STATUS IN ($M) | EXCLUDE UserID WHERE Users.AGE < $AGE',
        'INCLUDE ActionID WHERE Actions.ANYTHING IN ("x")',  # no Actions schema given: not checked
    ],
)
def test_filters_that_fit_the_schema(expression):
    assert parse(expression, schema=SCHEMA) == parse(expression)


@pytest.mark.parametrize(
    "expression, where, message",
    [
        (
            W + 'Items.CATEGORY IN ("x")',
            "Items.CATEGORY",
            "no field 'CATEGORY' (did you mean CATEGORY_L1 or CATEGORY_L2?)",
        ),
        (W + 'Items.categry_l1 IN ("x")', "Items.categry_l1", "no field 'CATEGRY_L1' (did you mean CATEGORY_L1"),
        (W + 'Items.COLOUR IN ("x")', "Items.COLOUR", "its fields are ADULT, AVAILABLE, CATEGORY_L1"),
        (W + 'Items.PRICE IN ("10")', "Items.PRICE", "PRICE is a number (float): IN matches strings"),
        (W + 'Items.PRICE NOT IN ("10")', "Items.PRICE", "NOT IN matches strings"),
        (W + "Items.CATEGORY_L1 < 5", "Items.CATEGORY_L1", "string field: < compares numbers"),
        (W + "Items.CATEGORY_L1 > $C", "Items.CATEGORY_L1", "string field: > compares numbers"),
        (W + "Items.CATEGORY_L1 = 5", "Items.CATEGORY_L1", 'cannot be compared with a number; write IN ("5")'),
        (W + 'Items.PRODUCT_DESCRIPTION IN ("x")', "Items.PRODUCT_DESCRIPTION", "textual field"),
        (W + 'Items.ADULT IN ("True")', "Items.ADULT", "boolean field"),
        (W + "Items.PRICE < CurrentItem.COST", "CurrentItem.COST", "no field 'COST'"),
        (W + "Items.CATEGORY_L1 IN CurrentItem.PRICE", "CurrentItem.PRICE", "CurrentItem.PRICE is a number"),
        (W + "Items.PRICE < CurrentItem.CATEGORY_L1", "CurrentItem.CATEGORY_L1", "cannot be compared"),
        (W + "Items.PRICE = CurrentItem.CATEGORY_L1", "CurrentItem.CATEGORY_L1", "cannot be compared"),
        (W + 'Items.PRICE > 1 IF CurrentUser.AGEE > 18', "CurrentUser.AGEE", "Users schema has no field 'AGEE'"),
        (W + 'Items.PRICE > 1 IF CurrentUser.AGE IN ("18")', "CurrentUser.AGE", "AGE is a number (int)"),
        ("EXCLUDE UserID WHERE Users.AGE IN ($AGE)", "Users.AGE", "IN matches strings"),
        (
            'INCLUDE ItemID WHERE Items.PRICE > 1 | EXCLUDE ItemID WHERE Items.CATEGORY_L3 IN ("x")',
            "Items.CATEGORY_L3",
            "no field 'CATEGORY_L3'",
        ),
    ],
)
def test_filters_that_do_not_fit_the_schema(expression, where, message):
    with pytest.raises(FilterSyntaxError) as info:
        parse(expression, schema=SCHEMA)
    assert message in info.value.message
    assert info.value.position == expression.index(where)


def test_validate_checks_a_parsed_tree_and_returns_it():
    tree = parse(W + 'Items.CATEGORY_L1 IN ("x")')
    assert validate(tree, SCHEMA) is tree
    with pytest.raises(FilterSyntaxError, match="no field"):
        validate(parse(W + 'Items.NOPE IN ("x")'), SCHEMA)


def test_a_hand_built_tree_fails_without_a_position():
    tree = Filter((Expression("INCLUDE", "ItemID", Membership(FieldRef("Items", "NOPE"), StringList(("x",)))),))
    with pytest.raises(FilterSyntaxError) as info:
        validate(tree, SCHEMA)
    assert info.value.position is None


def test_a_schema_with_only_users_leaves_items_unchecked():
    schema = Schema(users={"AGE": "int"})
    parse(W + 'Items.WHATEVER IN ("x") IF CurrentUser.AGE > 3', schema=schema)
    with pytest.raises(FilterSyntaxError):
        parse(W + 'Items.WHATEVER IN ("x") IF CurrentUser.AGES > 3', schema=schema)


def test_the_client_refuses_a_bad_filter_at_configuration_time():
    with pytest.raises(ConfigurationError) as info:
        Client(MemoryBackend(), sync_mode=True, filters={"cheap": "INCLUDE ItemID WHERE Items.PRICE < '10'"})
    assert "cheap" in str(info.value) and "double quotes" in str(info.value)
    client = Client(MemoryBackend(), sync_mode=True, filters={"cheap": W + "Items.PRICE < $P"})
    try:
        assert client.filters["cheap"] == parse(W + "Items.PRICE < $P")
    finally:
        client.close()
