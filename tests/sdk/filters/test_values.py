"""Filter values: normalizing, the wire form and back, and the guarantee that
no value can change the expression it is used with."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personalize_sdk import InvalidRequestError
from personalize_sdk.filters import (
    decode_filter_values,
    encode_filter_values,
    normalize_filter_values,
    parse,
)
from personalize_sdk.filters.evaluate import FilterContext, ItemCatalog, compile_filter


# -- normalize -------------------------------------------------------------------
def test_normalize_accepts_strings_numbers_and_lists():
    assert normalize_filter_values(
        {"CATEGORY": ["shoes", "socks"], "GENRE": "comedy", "PRICE": 19.99, "DATE": 1596238243, "EMPTY": []}
    ) == {
        "CATEGORY": ("shoes", "socks"),
        "GENRE": ("comedy",),
        "PRICE": ("19.99",),
        "DATE": ("1596238243",),
        "EMPTY": (),
    }
    assert normalize_filter_values(None) == {} == normalize_filter_values({})
    assert normalize_filter_values({"A": ("x",)}) == {"A": ("x",)}


def test_sets_are_sorted_even_with_mixed_types():
    assert normalize_filter_values({"A": {"b", "a"}}) == {"A": ("a", "b")}
    assert normalize_filter_values({"A": frozenset({2, "1"})}) == {"A": ("2", "1")}


@pytest.mark.parametrize(
    "values, field, rule",
    [
        (["a"], "filter_values", "must be a mapping"),
        ({"bad-name": "x"}, "filter_values['bad-name']", "[A-Za-z0-9_]+"),
        ({"$CATEGORY": "x"}, "filter_values['$CATEGORY']", "without the $"),
        ({"A" * 51: "x"}, "filter_values['" + "A" * 51 + "']", "at most 50 characters"),
        ({1: "x"}, "filter_values[1]", "[A-Za-z0-9_]+"),
        ({f"P{i}": "x" for i in range(26)}, "filter_values", "at most 25 placeholders"),
        ({"A": True}, "filter_values['A']", "not bool"),
        ({"A": [True]}, "filter_values['A'][0]", "not a boolean"),
        ({"A": None}, "filter_values['A']", "not NoneType"),
        ({"A": [None]}, "filter_values['A'][0]", "not NoneType"),
        ({"A": {"k": "v"}}, "filter_values['A']", "not dict"),
        ({"A": float("nan")}, "filter_values['A'][0]", "finite number"),
        ({"A": ["x", float("inf")]}, "filter_values['A'][1]", "finite number"),
        ({"A": ["x" * 999]}, "filter_values['A']", "at most 1000 characters"),
        ({"A": ["x" * 400, "y" * 400, "z" * 200]}, "filter_values['A']", "at most 1000 characters"),
    ],
)
def test_normalize_refuses(values, field, rule):
    with pytest.raises(InvalidRequestError) as info:
        normalize_filter_values(values)
    assert info.value.field == field
    assert rule in info.value.rule


def test_the_1000_character_limit_counts_quotes_and_commas():
    assert normalize_filter_values({"A": ["x" * 998]}) == {"A": ("x" * 998,)}  # '"' + 998 + '"' = 1000
    normalize_filter_values({"A": ["x" * 497, "y" * 498]})  # 499 + 1 + 500 = 1000
    with pytest.raises(InvalidRequestError):
        normalize_filter_values({"A": ["x" * 498, "y" * 498]})


# -- the wire form ------------------------------------------------------------------
def test_encode_writes_personalizes_wire_form():
    assert encode_filter_values({"GENRES": ["comedy", "drama", "horror"], "GENRE": "Comedy", "NONE": []}) == {
        "GENRES": '"comedy","drama","horror"',
        "GENRE": '"Comedy"',
    }


def test_decode_reads_it_back_and_tolerates_spaces():
    assert decode_filter_values({"GENRES": '"comedy", "drama" ,"horror"', "E": ""}) == {
        "GENRES": ("comedy", "drama", "horror"),
        "E": (),
    }
    assert decode_filter_values(None) == {}


@pytest.mark.parametrize(
    "wire, rule",
    [
        ({"A": "comedy"}, "double-quoted values"),
        ({"A": "'comedy'"}, "double-quoted values"),
        ({"A": '"a""b"'}, "double-quoted values"),
        ({"A": '"a" "b"'}, "double-quoted values"),
        ({"A": '"a",'}, "must not end with a comma"),
        ({"A": '"a' }, "double-quoted values"),
        ({"A": '"a\\"b"'}, "double-quoted values"),
        ({"A": '"a\nb"'}, "control characters"),
        ({"A": 5}, "double-quoted values"),
        ({"A": '"' + "x" * 999 + '"'}, "at most 1000 characters"),
    ],
)
def test_decode_refuses(wire, rule):
    with pytest.raises(InvalidRequestError) as info:
        decode_filter_values(wire)
    assert rule in info.value.rule


def test_decode_refuses_what_is_not_a_mapping_or_too_big():
    with pytest.raises(InvalidRequestError):
        decode_filter_values(['"a"'])
    with pytest.raises(InvalidRequestError, match="at most 25"):
        decode_filter_values({f"P{i}": '"x"' for i in range(26)})


# -- no value can change the expression ---------------------------------------------------
INJECTIONS = [
    'shoes") | INCLUDE ItemID WHERE Items.PRICE > ("0',
    'shoes","socks',
    'shoes\\", \\"socks',
    "shoes\\",
    "shoes\n",
    "shoes\x00",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_values_that_could_close_their_quotes_are_refused(value):
    # Personalize documents no escape, so these are rejected, never sent.
    with pytest.raises(InvalidRequestError, match="double quotes, backslashes or control characters"):
        encode_filter_values({"CATEGORY": value})
    with pytest.raises(InvalidRequestError):
        normalize_filter_values({"CATEGORY": [value]})


@pytest.mark.parametrize(
    "value", ["shoes,socks", "shoes, socks", "shoes|socks", "a | INCLUDE ItemID", "(x)", "$X", "*"]
)
def test_commas_pipes_and_syntax_stay_inside_one_value(value):
    wire = encode_filter_values({"CATEGORY": value})
    assert wire == {"CATEGORY": f'"{value}"'}
    assert decode_filter_values(wire) == {"CATEGORY": (value,)}


def test_a_value_with_commas_or_pipes_is_one_value_to_the_evaluator():
    catalog = ItemCatalog(["a", "b", "c"], [{"C": "shoes"}, {"C": "socks"}, {"C": "shoes,socks"}])
    compiled = compile_filter("INCLUDE ItemID WHERE Items.C IN ($C)", catalog)

    def passing(value):
        mask = compiled.mask(FilterContext(values=normalize_filter_values({"C": value})))
        return [item for item, keep in zip(catalog.item_ids, mask, strict=True) if keep]

    assert passing("shoes,socks") == ["c"]
    assert passing("shoes|socks") == []
    assert passing(["shoes", "socks"]) == ["a", "b"]
    # And the expression itself is untouched by any value.
    assert str(compiled.tree) == "INCLUDE ItemID WHERE Items.C IN ($C)"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=False)), max_size=6))
def test_every_value_either_round_trips_exactly_or_is_refused(values):
    try:
        normalized = normalize_filter_values({"X": values})
    except InvalidRequestError:
        return
    wire = encode_filter_values({"X": values})
    decoded = decode_filter_values(wire)
    assert decoded.get("X", ()) == normalized["X"]
    assert len(normalized["X"]) == len(values)  # no value was split or merged
    if wire:
        # The wire string is a valid value list of a filter expression, with
        # exactly as many values as were given.
        tree = parse(f"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ({wire['X']})")
        assert tree.expressions[0].where.values.values == normalized["X"]
