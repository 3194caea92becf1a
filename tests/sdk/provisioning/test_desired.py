"""The desired-state dict: defaults, and errors that name the key and the rule."""

from __future__ import annotations

import pytest

from personalize_sdk.dataset import make_format
from personalize_sdk.exceptions import ConfigurationError
from personalize_sdk.provisioning import ECOMMERCE_RECIPES, desired_state


def test_defaults_for_an_ecommerce_group():
    d = desired_state({"dataset_group": "shop"})
    assert d.domain == "ECOMMERCE"
    assert list(d.datasets) == ["Interactions", "Items", "Users"]
    assert d.event_tracker == "shop-tracker"
    assert [r.use_case for r in d.recommenders] == list(ECOMMERCE_RECIPES)
    assert d.solutions == () and d.train is True


def test_defaults_for_a_custom_group():
    d = desired_state({"dataset_group": "shop", "domain": "custom"})
    assert d.domain is None and d.recommenders == ()
    assert [(s.key, s.recipe_arn.rsplit("/", 1)[1], s.event_type) for s in d.solutions] == [
        ("recommended_for_you", "aws-user-personalization-v2", None),
        ("also_viewed", "aws-similar-items", "View"),
        ("best_sellers", "aws-popularity-count", "Purchase"),
        ("ranking", "aws-personalized-ranking-v2", None),
    ]
    # v2 manages exploration itself: no itemExplorationConfig is sent
    assert "itemExplorationConfig" not in d.solutions[0].campaign_config


def test_schemas_from_a_dataset_format():
    fmt = make_format("Items", ["categoryL2"])
    d = desired_state({"dataset_group": "shop", "schemas": {"Items": {"name": "shop-items-v2", "schema": fmt}}})
    assert d.schemas["Items"] == ("shop-items-v2", fmt.schema_json())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"dataset_group": "shop", "recommenderz": {}}, "'recommenderz': unknown key"),
        ({"dataset_group": "a shop"}, "'dataset_group': must be 1 to 63 letters"),
        ({"dataset_group": "shop", "domain": "VIDEO"}, "'domain': must be 'ECOMMERCE' or 'custom'"),
        ({"dataset_group": "shop", "recommenders": {"trending": {}}}, "'recommenders.trending': unknown use case"),
        ({"dataset_group": "shop", "recommenders": {"best_sellers": {"exploration_weight": 0.2}}},
         "apply to recommended_for_you only"),
        ({"dataset_group": "shop", "recommenders": {"recommended_for_you": {"exploration_weight": 2}}},
         "exploration_weight': must be a number from 0 to 1"),
        ({"dataset_group": "shop", "domain": "custom", "recommenders": ["best_sellers"]}, "need the ECOMMERCE domain"),
        ({"dataset_group": "shop", "domain": "custom", "solutions": {"recommended_for_you": {"exploration_weight": 0.1}}},
         "user-personalization-v2 manages exploration itself"),
        ({"dataset_group": "shop", "filters": {"bad": "EXCLUDE ItemID WHERE"}}, "'filters.bad'"),
        ({"dataset_group": "shop", "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"}, "needs role_arn too"),
        ({"dataset_group": "shop", "datasets": ["Items"]}, "must include Interactions"),
        ({"dataset_group": "shop", "solutions": {"best_sellers": {}}}, "served by a recommender already"),
    ],
)
def test_bad_settings_name_the_key_and_the_rule(settings, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        desired_state(settings)
