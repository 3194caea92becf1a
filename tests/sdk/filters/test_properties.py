"""Property-based tests: trees survive format -> parse, and no text makes
parse raise anything but FilterSyntaxError."""

from __future__ import annotations

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from personalize_sdk import FilterSyntaxError
from personalize_sdk.filters import Filter, format, parse
from personalize_sdk.filters.tree import MAX_EXPRESSION_LENGTH

from .strategies import filters, token_soup

FAST = settings(max_examples=120, deadline=None)


@FAST
@given(filters())
def test_generated_trees_survive_format_then_parse(tree):
    text = format(tree)
    assume(len(text) <= MAX_EXPRESSION_LENGTH)
    parsed = parse(text)
    assert parsed == tree
    assert format(parsed) == text


def _parse_or_refuse(text):
    """parse() either succeeds, and then its result is stable under
    format/parse, or raises FilterSyntaxError: never anything else."""
    try:
        tree = parse(text)
    except FilterSyntaxError as err:
        assert err.position is None or 0 <= err.position <= len(text)
        str(err)  # rendering the caret must not fail either
        return None
    assert isinstance(tree, Filter)
    assert parse(format(tree)) == tree
    return tree


@FAST
@given(st.text(max_size=200))
@example('INCLUDE ItemID WHERE Items.A IN ("x")')
@example("\x00")
@example("INCLUDE ItemID WHERE Items.A IN (\"\U0001f600\")")
def test_arbitrary_text_only_ever_raises_filter_syntax_error(text):
    _parse_or_refuse(text)


@FAST
@given(token_soup)
def test_language_shaped_text_only_ever_raises_filter_syntax_error(text):
    _parse_or_refuse(text)


@settings(max_examples=80, deadline=None)
@given(filters(), st.data())
def test_damaged_valid_expressions_only_ever_raise_filter_syntax_error(tree, data):
    text = format(tree)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 6)))
    insert = data.draw(st.text(alphabet='"()|,$*.<=>! ANDORTIFINx5\\', max_size=3))
    _parse_or_refuse(text[:start] + insert + text[end:])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 3000), st.sampled_from(['"', "(", "x", " ", "|"]))
def test_long_input_is_refused_cheaply(extra, char):
    text = 'INCLUDE ItemID WHERE Items.A IN ("x")' + char * extra
    _parse_or_refuse(text)
    if len(text) > MAX_EXPRESSION_LENGTH:
        try:
            parse(text)
        except FilterSyntaxError as err:
            assert err.position == MAX_EXPRESSION_LENGTH


# -- the compiled evaluator agrees with the per-item reference ----------------------
SMALL_STRINGS = st.sampled_from(["a", "b", "A", "View", "purchase", "1", "2.5", ""])
ITEM_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["a", "b", "A", "a|b", "b|View", "1", "2.5", "-3", "n/a", ""]),
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False),
)
NUMERIC_VALUE = st.sampled_from(["1", "2.5", "-1", "0"])
TEXT_VALUE = st.sampled_from(["a", "b", "View", "PURCHASE", "a|b"])


def request_values(value):
    # Mostly one value per placeholder (the useful case), sometimes none or
    # two (the skip and error rules).
    return st.one_of(*[st.tuples(value)] * 8, st.just(()), st.tuples(value, value))


SMALL_NUMBERS = st.integers(-3, 3) | st.sampled_from([-1.5, 0.0, 2.5])
FIELDS = ["A", "B", "P"]


@st.composite
def catalogs_and_contexts(draw):
    from personalize_sdk.filters.evaluate import FilterContext

    size = draw(st.integers(3, 12))
    ids = [f"i{n}" for n in range(size)]
    properties = [draw(st.fixed_dictionaries({name: ITEM_VALUES for name in FIELDS})) for _ in range(size)]
    candidates = ids + ["unknown"]
    context = FilterContext(
        # X is numeric, Y text, Z either: so that most comparisons can run.
        values={
            "X": draw(request_values(NUMERIC_VALUE)),
            "Y": draw(request_values(TEXT_VALUE)),
            "Z": draw(request_values(NUMERIC_VALUE | TEXT_VALUE)),
        },
        user_properties=draw(st.none() | st.dictionaries(st.sampled_from(FIELDS), ITEM_VALUES, max_size=3)),
        interactions=draw(
            st.none()
            | st.dictionaries(
                st.sampled_from(["View", "view", "Purchase"]), st.lists(st.sampled_from(candidates), max_size=6)
            )
        ),
        current_item=draw(st.sampled_from(candidates + [None])),
    )
    return ids, properties, context


@settings(max_examples=150, deadline=None)
@given(
    filters(
        targets=("ItemID",),
        fields=FIELDS,
        placeholders=st.sampled_from(["X", "Y", "Z"]),
        strings=SMALL_STRINGS,
        size=2,
        numbers=SMALL_NUMBERS,
    ),
    catalogs_and_contexts(),
)
def test_compiled_masks_match_the_per_item_reference(tree, data):
    from personalize_sdk import InvalidRequestError
    from personalize_sdk.filters.evaluate import ItemCatalog, compile_filter

    from .reference import reference_pass

    ids, properties, context = data
    compiled = compile_filter(tree, ItemCatalog(ids, properties))
    try:
        expected = reference_pass(tree, ids, properties, context)
    except InvalidRequestError:
        expected = InvalidRequestError
    try:
        mask = compiled.mask(context)
        got = {ids[i] for i, keep in enumerate(mask) if keep}
    except InvalidRequestError:
        got = InvalidRequestError
    assert got == expected
