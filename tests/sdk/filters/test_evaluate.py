"""The local engine's filter evaluator: each operator, the chaining and
placeholder rules, IF, interactions, and a 50,000-item catalogue."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from personalize_sdk import ConfigurationError, FilterSyntaxError, InvalidRequestError
from personalize_sdk.filters import Schema, parse
from personalize_sdk.filters.evaluate import CompiledFilter, FilterContext, ItemCatalog, compile_filter

from .reference import reference_pass

W = "INCLUDE ItemID WHERE "
ITEMS = {
    "i1": {"CATEGORY": "shoes", "PRICE": 10, "GENRE": "sport|casual", "AVAILABLE": "True"},
    "i2": {"CATEGORY": "shoes", "PRICE": "25.5", "GENRE": "formal", "AVAILABLE": "False"},
    "i3": {"CATEGORY": "socks", "PRICE": 3, "GENRE": "casual"},
    "i4": {"CATEGORY": "Shoes", "PRICE": 50.0},
    "i5": {},
    "i6": {"CATEGORY": "hats|shoes", "PRICE": "n/a", "GENRE": "sport"},
}
ALL = set(ITEMS)


@pytest.fixture(scope="module")
def catalog():
    return ItemCatalog(list(ITEMS), list(ITEMS.values()))


def passing(catalog, expression, **context):
    """The ids that pass, checked against the naive reference evaluator too."""
    ctx = FilterContext(**context)
    mask = compile_filter(expression, catalog).mask(ctx)
    assert mask.dtype == bool and mask.shape == (len(catalog),)
    result = {item_id for item_id, keep in zip(catalog.item_ids, mask, strict=True) if keep}
    assert result == reference_pass(parse(expression), list(ITEMS), list(ITEMS.values()), ctx)
    return result


# -- IN / NOT IN -------------------------------------------------------------
@pytest.mark.parametrize(
    "condition, expected",
    [
        ('Items.CATEGORY IN ("shoes")', {"i1", "i2", "i6"}),  # exact case: not i4's "Shoes"
        ('Items.CATEGORY IN ("Shoes", "socks")', {"i3", "i4"}),
        ('Items.CATEGORY IN ("hats|shoes")', set()),  # a value is one value, never split
        ('Items.GENRE IN ("casual")', {"i1", "i3"}),  # multi-valued "sport|casual"
        ('Items.CATEGORY NOT IN ("shoes")', {"i3", "i4", "i5"}),  # complement: i5 has no CATEGORY
        ('Items.GENRE NOT IN ("sport", "formal")', {"i3", "i4", "i5"}),
        ('Items.MISSING IN ("x")', set()),
        ('Items.MISSING NOT IN ("x")', ALL),
        ('Items.PRICE IN ("10")', {"i1"}),  # numbers match by their text
    ],
)
def test_membership(catalog, condition, expected):
    assert passing(catalog, W + condition) == expected


def test_membership_with_a_placeholder(catalog):
    assert passing(catalog, W + "Items.CATEGORY IN ($C)", values={"C": ("socks", "hats")}) == {"i3", "i6"}
    assert passing(catalog, W + "Items.CATEGORY IN ($C)", values={"C": "socks"}) == {"i3"}


# -- comparisons ----------------------------------------------------------------
@pytest.mark.parametrize(
    "op, number, expected",
    [
        ("<", 10, {"i3"}),
        ("<=", 10, {"i1", "i3"}),
        (">", 10, {"i2", "i4"}),
        (">=", 25.5, {"i2", "i4"}),
        ("=", 50, {"i4"}),
        ("!=", 10, {"i2", "i3", "i4"}),  # items with no numeric PRICE (i5, i6) never match
        ("<", -1, set()),
        (">", 1000, set()),
    ],
)
def test_each_comparison_operator(catalog, op, number, expected):
    assert passing(catalog, W + f"Items.PRICE {op} {number}") == expected
    assert passing(catalog, W + f"Items.PRICE {op} $P", values={"P": (str(number),)}) == expected


def test_a_text_placeholder_compares_whole_strings_with_equals(catalog):
    assert passing(catalog, W + "Items.CATEGORY = $C", values={"C": ("shoes",)}) == {"i1", "i2"}
    assert passing(catalog, W + "Items.CATEGORY != $C", values={"C": ("shoes",)}) == {"i3", "i4", "i6"}


def test_a_text_placeholder_cannot_be_ordered(catalog):
    with pytest.raises(InvalidRequestError) as info:
        passing(catalog, W + "Items.PRICE < $P", values={"P": ("cheap",)})
    assert info.value.field == "filter_values['P']"


def test_a_comparison_placeholder_needs_exactly_one_value(catalog):
    with pytest.raises(InvalidRequestError, match="exactly one value"):
        passing(catalog, W + "Items.PRICE < $P", values={"P": ("1", "2")})


# -- CurrentItem -------------------------------------------------------------------
def test_current_item_fields(catalog):
    expression = W + "Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE"
    assert passing(catalog, expression, current_item="i2") == set()
    assert passing(catalog, W + "Items.PRICE < CurrentItem.PRICE", current_item="i2") == {"i1", "i3"}
    assert passing(catalog, W + "Items.GENRE IN CurrentItem.GENRE", current_item="i1") == {"i1", "i3", "i6"}
    assert passing(catalog, W + "Items.GENRE NOT IN CurrentItem.GENRE", current_item="i1") == {"i2", "i4", "i5"}
    assert passing(catalog, W + "Items.CATEGORY = CurrentItem.CATEGORY", current_item="i1") == {"i1", "i2"}


def test_a_current_item_without_the_field_or_outside_the_catalog_matches_nothing(catalog):
    assert passing(catalog, W + "Items.PRICE < CurrentItem.PRICE", current_item="i5") == set()
    assert passing(catalog, W + "Items.PRICE < CurrentItem.PRICE", current_item="i6") == set()  # "n/a"
    assert passing(catalog, W + "Items.GENRE IN CurrentItem.GENRE", current_item="unknown") == set()


def test_current_item_needs_a_related_items_request(catalog):
    for action in ("INCLUDE", "EXCLUDE"):
        with pytest.raises(InvalidRequestError) as info:
            passing(catalog, f"{action} ItemID WHERE Items.PRICE < CurrentItem.PRICE")
        assert info.value.field == "item_id"


# -- AND / OR ----------------------------------------------------------------------------
def test_and_binds_tighter_than_or(catalog):
    expression = W + 'Items.CATEGORY IN ("socks") OR Items.CATEGORY IN ("shoes") AND Items.PRICE > 20'
    assert passing(catalog, expression) == {"i3", "i2"}
    expression = W + 'Items.PRICE > 20 AND Items.CATEGORY IN ("shoes") OR Items.PRICE < 5 AND Items.GENRE IN ($G)'
    assert passing(catalog, expression, values={"G": ("casual",)}) == {"i2", "i3"}


# -- chaining -------------------------------------------------------------------------
A = W + 'Items.CATEGORY IN ("shoes")'  # i1 i2 i6
B = W + 'Items.CATEGORY IN ("socks")'  # i3
C = 'EXCLUDE ItemID WHERE Items.PRICE > 20'  # i2 i4
D = 'EXCLUDE ItemID WHERE Items.GENRE IN ("sport")'  # i1 i6


def test_includes_unite():
    catalog = ItemCatalog(list(ITEMS), list(ITEMS.values()))
    assert passing(catalog, f"{A} | {B}") == {"i1", "i2", "i3", "i6"}


def test_excludes_unite_and_an_exclude_only_filter_starts_from_everything(catalog):
    assert passing(catalog, f"{C} | {D}") == {"i3", "i5"}
    assert passing(catalog, C) == ALL - {"i2", "i4"}


def test_includes_minus_excludes_in_any_order(catalog):
    expected = {"i1", "i2", "i3", "i6"} - {"i2", "i4", "i1", "i6"}
    for order in itertools.permutations([A, B, C, D]):
        assert passing(catalog, " | ".join(order)) == expected == {"i3"}


# -- placeholders ---------------------------------------------------------------------------
def test_an_include_placeholder_without_a_value_is_an_error_naming_it(catalog):
    for values in ({}, {"C": ()}, {"OTHER": ("x",)}):
        with pytest.raises(InvalidRequestError) as info:
            passing(catalog, W + "Items.CATEGORY IN ($C)", values=values)
        assert info.value.field == "filter_values['C']"
        assert "$C" in info.value.rule


def test_an_exclude_placeholder_without_a_value_skips_that_expression_only(catalog):
    expression = "EXCLUDE ItemID WHERE Items.CATEGORY IN ($C) | EXCLUDE ItemID WHERE Items.PRICE > 20"
    assert passing(catalog, expression) == ALL - {"i2", "i4"}
    assert passing(catalog, expression, values={"C": ("shoes",)}) == {"i3", "i5"}
    # The whole expression is skipped, even the condition that needs no value.
    both = 'EXCLUDE ItemID WHERE Items.CATEGORY IN ($C) AND Items.GENRE IN ("sport")'
    assert passing(catalog, both) == ALL


def test_a_missing_placeholder_in_an_if_clause_follows_the_same_rule(catalog):
    assert passing(catalog, C + " IF CurrentUser.AGE > $AGE", user_properties={"AGE": 30}) == ALL
    with pytest.raises(InvalidRequestError):
        passing(catalog, A + " IF CurrentUser.AGE > $AGE", user_properties={"AGE": 30})


# -- IF CurrentUser -----------------------------------------------------------------------------
def test_an_if_clause_decides_whether_the_expression_applies(catalog):
    adults_only = "EXCLUDE ItemID WHERE Items.CATEGORY IN (\"socks\") IF CurrentUser.AGE < 18"
    assert passing(catalog, adults_only, user_properties={"AGE": "12"}) == ALL - {"i3"}
    assert passing(catalog, adults_only, user_properties={"AGE": "40"}) == ALL
    assert passing(catalog, adults_only, user_properties={}) == ALL  # no AGE: the comparison is false
    assert passing(catalog, adults_only) == ALL  # no user properties: does not apply


def test_an_include_whose_if_is_false_does_not_apply_either(catalog):
    # Documented choice: a false IF removes the expression from the chain, so
    # an INCLUDE-only filter then keeps every item.
    watches = A + " IF CurrentUser.AGE > 18"
    assert passing(catalog, watches, user_properties={"AGE": 30}) == {"i1", "i2", "i6"}
    assert passing(catalog, watches, user_properties={"AGE": 10}) == ALL
    assert passing(catalog, f"{watches} | {B}", user_properties={"AGE": 10}) == {"i3"}


def test_if_clause_operators(catalog):
    def applies(clause, user, values=None):
        expression = f"EXCLUDE ItemID WHERE Items.CATEGORY IN (\"socks\") IF {clause}"
        return passing(catalog, expression, user_properties=user, values=values or {}) != ALL

    assert applies("CurrentUser.TIER IN (\"gold\", \"silver\")", {"TIER": "bronze|gold"})
    assert not applies("CurrentUser.TIER NOT IN (\"gold\")", {"TIER": "gold"})
    assert applies("CurrentUser.TIER NOT IN (\"gold\")", {})
    assert applies("CurrentUser.MEMBERSHIP = $PREMIUM", {"MEMBERSHIP": "premium"}, {"PREMIUM": ("premium",)})
    assert not applies("CurrentUser.MEMBERSHIP = $PREMIUM", {"MEMBERSHIP": "Premium"}, {"PREMIUM": ("premium",)})
    assert applies("CurrentUser.AGE >= 18 AND CurrentUser.AGE < 30", {"AGE": "18"})
    assert not applies("CurrentUser.AGE >= 18 AND CurrentUser.AGE < 30", {"AGE": 30})
    assert not applies("CurrentUser.AGE != 18", {"AGE": "unknown"})


# -- interactions -------------------------------------------------------------------------------
def test_event_types_match_ignoring_case(catalog):
    history = {"Purchase": ["i1"], "view": ["i2", "i3"]}
    bought = "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"PURCHASE\")"
    assert passing(catalog, bought, interactions=history) == ALL - {"i1"}
    seen = W + "Interactions.EVENT_TYPE IN ($E)"
    assert passing(catalog, seen, interactions=history, values={"E": ("VIEW",)}) == {"i2", "i3"}
    anything = W + 'Interactions.EVENT_TYPE IN ("*")'
    assert passing(catalog, anything, interactions=history) == {"i1", "i2", "i3"}
    not_bought = W + 'Interactions.EVENT_TYPE NOT IN ("purchase")'
    assert passing(catalog, not_bought, interactions=history) == ALL - {"i1"}


def test_interactions_without_history_or_outside_the_catalog(catalog):
    bought = "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"Purchase\")"
    assert passing(catalog, bought) == ALL
    assert passing(catalog, bought, interactions={"Purchase": ["gone", "i4"]}) == ALL - {"i4"}


def test_only_the_100_most_recent_interactions_per_event_type_count():
    ids = [f"p{i}" for i in range(150)]
    catalog = ItemCatalog(ids, [{}] * len(ids))
    bought = compile_filter("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"Purchase\")", catalog)
    history = {"Purchase": ids[:120], "View": ids[120:]}  # most recent first
    mask = bought.mask(FilterContext(interactions=history))
    assert not mask[:100].any()  # the 100 most recent purchases are excluded
    assert mask[100:].all()  # older purchases and the views are not
    # The limit is per event type: the views have their own 100.
    anything = compile_filter("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"*\")", catalog)
    assert anything.mask(FilterContext(interactions=history)).sum() == 20
    # ... and adjustable, as Personalize's quota is.
    longer = compile_filter(bought.tree, catalog, history_limit=300)
    assert not longer.mask(FilterContext(interactions=history))[:120].any()


# -- the compiled filter --------------------------------------------------------------------------
def test_masks_are_fresh_arrays(catalog):
    compiled = compile_filter(A, catalog)
    first = compiled.mask()
    first[:] = False
    assert compiled.mask().sum() == 3


def test_compiled_filter_api(catalog):
    compiled = compile_filter(f"{A} | EXCLUDE ItemID WHERE Items.PRICE > $MAX IF CurrentUser.AGE > $AGE", catalog)
    assert isinstance(compiled, CompiledFilter)
    assert compiled.placeholders == {"MAX", "AGE"}
    assert isinstance(compiled.placeholders, frozenset)
    assert compiled.catalog is catalog
    assert "CompiledFilter" in repr(compiled)
    assert compile_filter(parse(A), catalog).mask().tolist() == compiled.mask(FilterContext(values={})).tolist()


def test_only_item_filters_can_be_compiled(catalog):
    for expression in ("INCLUDE UserID WHERE Users.AGE > 3", "EXCLUDE ActionID WHERE Actions.VALUE < 3"):
        with pytest.raises(ConfigurationError, match="only ItemID filters"):
            compile_filter(expression, catalog)


def test_compiling_checks_syntax_and_schema(catalog):
    with pytest.raises(FilterSyntaxError):
        compile_filter("INCLUDE ItemID", catalog)
    schema = Schema(items={"CATEGORY": "categorical", "PRICE": "float"})
    with pytest.raises(FilterSyntaxError, match="no field 'GENRE'"):
        compile_filter(W + 'Items.GENRE IN ("x")', catalog, schema=schema)
    with pytest.raises(FilterSyntaxError, match="no field 'GENRE'"):
        compile_filter(parse(W + 'Items.GENRE IN ("x")'), catalog, schema=schema)


def test_a_hand_built_tree_is_checked_before_compiling(catalog):
    from personalize_sdk.filters import Expression, FieldRef, Filter, Membership, Placeholder

    tree = Filter((Expression("INCLUDE", "ItemID", Membership(FieldRef("Items", "A"), Placeholder("X"), True)),))
    with pytest.raises(FilterSyntaxError, match="NOT IN"):
        compile_filter(tree, catalog)


def test_catalog_checks_its_input():
    with pytest.raises(ValueError, match="one properties mapping per item"):
        ItemCatalog(["a", "b"], [{}])
    with pytest.raises(ValueError, match="unique"):
        ItemCatalog(["a", "a"], [{}, {}])
    catalog = ItemCatalog(["a", "b"], [None, {"X": "1"}])
    assert compile_filter(W + 'Items.X IN ("1")', catalog).mask().tolist() == [False, True]
    assert catalog.position("b") == 1 and catalog.position("zzz") is None


# -- 50,000 items -----------------------------------------------------------------------------------
class CountingProperties(dict):
    """An item's properties that count every read."""

    reads = 0

    def get(self, key, default=None):
        CountingProperties.reads += 1
        return super().get(key, default)

    def __getitem__(self, key):
        CountingProperties.reads += 1
        return super().__getitem__(key)


def test_a_50000_item_catalogue_is_filtered_through_the_compiled_indexes():
    rng = random.Random(7)
    size = 50_000
    ids = [f"item-{i}" for i in range(size)]
    categories = ["shoes", "socks", "hats", "bags", "belts"]
    properties = [
        CountingProperties(
            CATEGORY_L1=rng.choice(categories),
            CATEGORY_L2="|".join(rng.sample(["sport", "formal", "kids", "sale"], rng.randint(0, 2))),
            PRICE=round(rng.uniform(1, 300), 2),
            AVAILABLE=rng.choice(["True", "False"]),
            CREATION_TIMESTAMP=rng.randint(1_600_000_000, 1_700_000_000),
        )
        for _ in range(size)
    ]
    catalog = ItemCatalog(ids, properties)
    expression = (
        'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY) AND Items.AVAILABLE IN ("True") '
        "AND Items.PRICE < CurrentItem.PRICE "
        "| INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > $DATE AND Items.CATEGORY_L2 IN CurrentItem.CATEGORY_L2 "
        '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") '
        '| EXCLUDE ItemID WHERE Items.CATEGORY_L2 IN ("kids") IF CurrentUser.AGE > 60'
    )
    CountingProperties.reads = 0
    compiled = compile_filter(expression, catalog)
    # Compiling reads each of the five item fields used once per item (AGE
    # belongs to the user, not the catalogue).
    assert CountingProperties.reads == 5 * size
    assert catalog.columns_built == 5

    contexts = []
    for n in range(20):
        contexts.append(
            FilterContext(
                values={"CATEGORY": tuple(rng.sample(categories, 2)), "DATE": (str(1_650_000_000 + n * 10**6),)},
                user_properties={"AGE": rng.choice(["30", "70"])},
                interactions={
                    "Purchase": rng.sample(ids, 150),
                    "View": rng.sample(ids, 300),
                },
                current_item=rng.choice(ids),
            )
        )
    CountingProperties.reads = 0
    masks = [compiled.mask(ctx) for ctx in contexts]
    # The proof that requests use the compiled indexes: not one item
    # property was read while computing twenty masks over 50,000 items.
    assert CountingProperties.reads == 0
    assert all(m.shape == (size,) and m.dtype == bool for m in masks)
    assert any(0 < m.sum() < size for m in masks)

    # Compiling another filter on the same fields reuses the indexes too.
    compile_filter('EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("hats") AND Items.PRICE > 10', catalog)
    assert CountingProperties.reads == 0 and catalog.columns_built == 5

    # And the answer is that of the per-item reference evaluator.
    expected = reference_pass(parse(expression), ids, [dict(p) for p in properties], contexts[0])
    assert {ids[i] for i in np.flatnonzero(masks[0])} == expected


def test_a_field_read_only_through_current_item_is_indexed_when_compiling():
    properties = [CountingProperties(PRICE=p, COST=p * 2) for p in range(100)]
    catalog = ItemCatalog([str(i) for i in range(100)], properties)
    compiled = compile_filter(W + "Items.PRICE < CurrentItem.COST", catalog)
    CountingProperties.reads = 0
    mask = compiled.mask(FilterContext(current_item="10"))
    assert CountingProperties.reads == 0
    assert np.flatnonzero(mask).tolist() == list(range(20))


def test_the_filters_package_does_not_import_numpy_until_the_evaluator_is_used():
    code = textwrap.dedent(
        """
        import sys
        import personalize_sdk.filters as filters
        from personalize_sdk.filters import *
        filters.parse('INCLUDE ItemID WHERE Items.A IN ("x")')
        assert "numpy" not in sys.modules, "numpy imported too early"
        filters.compile_filter
        assert "numpy" in sys.modules
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_without_numpy_the_evaluator_names_the_extra_to_install():
    code = textwrap.dedent(
        """
        import sys

        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "numpy":
                    raise ModuleNotFoundError("blocked", name=name)

        sys.meta_path.insert(0, Blocker())
        from personalize_sdk import ImproperlyInstalled
        try:
            from personalize_sdk.filters.evaluate import compile_filter
        except ImproperlyInstalled as err:
            assert "personalize-django[local]" in str(err), str(err)
            print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
