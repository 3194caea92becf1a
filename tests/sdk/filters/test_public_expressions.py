"""Filter expressions that AWS's own code and documentation hand to
Personalize's CreateFilter, verbatim: every one must parse, and format to its
canonical spelling (docs/filters.rst, "What Personalize accepts")."""

from __future__ import annotations

import pytest

from personalize_sdk.filters import format, parse

C_STORE = '("cold dispensed", "hot dispensed", "salty snacks", "food service")'

# (expression as published, its canonical text)
PUBLIC_EXPRESSIONS = [
    # aws-samples/retail-demo-store
    # src/aws-lambda/personalize-pre-create-campaigns/personalize-pre-create-campaigns.py
    (
        'EXCLUDE itemId WHERE INTERACTIONS.event_type in ("OrderCompleted")',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("OrderCompleted")',
    ),
    # aws-samples/retail-demo-store
    # src/aws-lambda/personalize-pre-create-resources/personalize_pre_create_resources.py (six filters)
    (
        'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase")',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    ),
    (
        f"EXCLUDE ItemID WHERE ITEMS.CATEGORY_L1 NOT IN {C_STORE}",
        f"EXCLUDE ItemID WHERE Items.CATEGORY_L1 NOT IN {C_STORE}",
    ),
    (
        f'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") '
        f"| EXCLUDE ItemID WHERE ITEMS.CATEGORY_L1 IN {C_STORE}",
        f'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase") '
        f"| EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN {C_STORE}",
    ),
    (
        'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") '
        "| INCLUDE ItemID WHERE ITEMS.CATEGORY_L1 IN ($CATEGORIES)",
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase") '
        "| INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORIES)",
    ),
    (
        'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") '
        '| INCLUDE ItemID WHERE ITEMS.PROMOTED IN ("Y")',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase") '
        '| INCLUDE ItemID WHERE Items.PROMOTED IN ("Y")',
    ),
    (
        'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") '
        f'| INCLUDE ItemID WHERE ITEMS.PROMOTED IN ("Y") AND ITEMS.CATEGORY_L1 NOT IN {C_STORE}',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase") '
        f'| INCLUDE ItemID WHERE Items.PROMOTED IN ("Y") AND Items.CATEGORY_L1 NOT IN {C_STORE}',
    ),
    # aws-solutions/maintaining-personalized-experiences-with-machine-learning
    # source/tests/fixtures/config/sample_config.json (two filters)
    (
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE in ("click", "stream")',
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    ),
    (
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE in ("*")',
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")',
    ),
    # awsdocs/aws-doc-sdk-examples
    # javascriptv3/example_code/personalize/src/personalize_createFilter.js (the FILTER_EXPRESSION example)
    (
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")',
    ),
    # awsdocs/amazon-personalize-developer-guide doc_source/API_CreateFilter.md
    # (the format the CreateFilter reference gave for filterExpression)
    (
        'EXCLUDE itemId WHERE INTERACTIONS.event_type in ("EVENT_TYPE")',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("EVENT_TYPE")',
    ),
    # awsdocs/amazon-personalize-developer-guide doc_source/filter-expressions.md ("Filter Expression Examples")
    (
        'EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.DESCRIPTION NOT IN ("boot")',
        'EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.DESCRIPTION NOT IN ("boot")',
    ),
    (
        "INCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20",
        "INCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20",
    ),
    (
        "EXCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20 IF CurrentUser.AGE > 18 AND CurrentUser.AGE < 30",
        "EXCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20 IF CurrentUser.AGE > 18 AND CurrentUser.AGE < 30",
    ),
    (
        'INCLUDE ItemID WHERE Items.GENRE IN ("drama") '
        '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
        'INCLUDE ItemID WHERE Items.GENRE IN ("drama") '
        '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    ),
]


@pytest.mark.parametrize("published, canonical", PUBLIC_EXPRESSIONS, ids=[p for p, _ in PUBLIC_EXPRESSIONS])
def test_public_expressions_parse_to_their_canonical_spelling(published, canonical):
    tree = parse(published)
    assert format(tree) == canonical
    assert parse(canonical) == tree

