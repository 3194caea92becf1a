"""personalize_provision against botocore's Stubber: a full plan on an empty
account, --plan changing nothing, a second run that changes nothing, a partial
state completed, a custom dataset group, and errors."""

from __future__ import annotations

import ast

import pytest
from django.core.management import CommandError

from personalize_django.aws import desired_config
from personalize_django.dataset.formats import shop_formats

from .conftest import arn, run

pytestmark = pytest.mark.django_db

NOT_BOUGHT = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'
SETTINGS = {
    "BACKEND": "memory",
    "DELIVERY": "manual",
    "PROVISIONING": {
        "dataset_group": "shop",
        "region_name": "us-east-1",
        "filters": {"not_bought": NOT_BOUGHT},
        "recommenders": {"recommended_for_you": {"exploration_weight": 0.3}, "best_sellers": {}},
    },
}
TYPES = ("Interactions", "Items", "Users")
GROUP = arn("dataset-group", "shop")
SCHEMAS = {t: arn("schema", f"shop-{t.lower()}") for t in TYPES}
DATASETS = {t: arn("dataset", f"shop/{t.upper()}") for t in TYPES}
TRACKER = arn("event-tracker", "shop-tracker")
FILTER = arn("filter", "not_bought")
RECOMMENDERS = {
    "recommended_for_you": arn("recommender", "shop-recommended-for-you"),
    "best_sellers": arn("recommender", "shop-best-sellers"),
}
RECIPES = {
    "recommended_for_you": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
    "best_sellers": "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-purchases",
}


@pytest.fixture(autouse=True)
def provisioning_settings(settings):
    settings.PERSONALIZE = SETTINGS


def schema_json(dataset_type):
    return shop_formats()[dataset_type].schema_json()


def expect_empty_account(stubs):
    stubs.expect("list_dataset_groups", {"datasetGroups": []})
    stubs.expect("list_schemas", {"schemas": []})


def expect_listing(
    stubs,
    *,
    datasets=TYPES,
    tracker=True,
    filters=True,
    recommenders=("recommended_for_you", "best_sellers"),
    status="ACTIVE",
):
    """The read-only calls of a plan on an account holding the group, its
    schemas and the given resources."""
    stubs.expect(
        "list_dataset_groups",
        {
            "datasetGroups": [
                {
                    "name": "shop",
                    "datasetGroupArn": GROUP,
                    "status": "ACTIVE",
                    "domain": "ECOMMERCE",
                }
            ]
        },
    )
    stubs.expect(
        "list_schemas",
        {
            "schemas": [
                {"name": f"shop-{t.lower()}", "schemaArn": SCHEMAS[t], "domain": "ECOMMERCE"}
                for t in TYPES
            ]
        },
    )
    for t in TYPES:
        stubs.expect(
            "describe_schema",
            {
                "schema": {
                    "name": f"shop-{t.lower()}",
                    "schemaArn": SCHEMAS[t],
                    "schema": schema_json(t),
                }
            },
            schemaArn=SCHEMAS[t],
        )
    stubs.expect(
        "list_datasets",
        {
            "datasets": [
                {
                    "name": f"shop-{t.lower()}",
                    "datasetArn": DATASETS[t],
                    "datasetType": t.upper(),
                    "status": "ACTIVE",
                }
                for t in datasets
            ]
        },
        datasetGroupArn=GROUP,
    )
    stubs.expect(
        "list_event_trackers",
        {
            "eventTrackers": [
                {"name": "shop-tracker", "eventTrackerArn": TRACKER, "status": "ACTIVE"}
            ]
            if tracker
            else []
        },
        datasetGroupArn=GROUP,
    )
    if tracker:
        stubs.expect(
            "describe_event_tracker",
            {
                "eventTracker": {
                    "eventTrackerArn": TRACKER,
                    "trackingId": "track-1",
                    "status": "ACTIVE",
                }
            },
            eventTrackerArn=TRACKER,
        )
    stubs.expect(
        "list_filters",
        {
            "Filters": [{"name": "not_bought", "filterArn": FILTER, "status": "ACTIVE"}]
            if filters
            else []
        },
        datasetGroupArn=GROUP,
    )
    if filters:
        stubs.expect(
            "describe_filter",
            {"filter": {"filterArn": FILTER, "filterExpression": NOT_BOUGHT, "status": "ACTIVE"}},
            filterArn=FILTER,
        )
    stubs.expect(
        "list_recommenders",
        {
            "recommenders": [
                {
                    "name": f"shop-{u.replace('_', '-')}",
                    "recommenderArn": RECOMMENDERS[u],
                    "recipeArn": RECIPES[u],
                    "status": status,
                }
                for u in recommenders
            ]
        },
        datasetGroupArn=GROUP,
    )


def snippet_of(out):
    return ast.literal_eval(out.split("PERSONALIZE = ", 1)[1])


def test_the_schemas_follow_the_registrations():
    config = desired_config()
    assert config["datasets"] == ["Interactions", "Items", "Users"]
    assert [c.name for c in config["schemas"]["Items"].columns] == [
        "ITEM_ID",
        "PRICE",
        "CATEGORY_L1",
        "AVAILABLE",
    ]
    assert [c.name for c in config["schemas"]["Users"].columns] == ["USER_ID", "USERNAME"]


def test_plan_on_an_empty_account_changes_nothing(stubs):
    expect_empty_account(stubs)  # only List calls: a Create would find no stubbed answer
    out, _ = run("personalize_provision", "--plan")
    assert "Plan: 11 to create, 0 to wait for, 0 unchanged, 0 blocked." in out
    assert (
        "+ create  dataset group shop" in out and "+ create  recommender shop-best-sellers" in out
    )
    assert "Nothing was changed (--plan)" in out


def test_full_run_on_an_empty_account(stubs, fake_sleep):
    expect_empty_account(stubs)
    stubs.expect(
        "create_dataset_group", {"datasetGroupArn": GROUP}, name="shop", domain="ECOMMERCE"
    )
    for t in TYPES:
        stubs.expect(
            "create_schema",
            {"schemaArn": SCHEMAS[t]},
            name=f"shop-{t.lower()}",
            schema=schema_json(t),
            domain="ECOMMERCE",
        )
    for status in ("CREATE PENDING", "ACTIVE"):
        stubs.expect(
            "describe_dataset_group",
            {"datasetGroup": {"datasetGroupArn": GROUP, "status": status}},
            datasetGroupArn=GROUP,
        )
    for t in TYPES:
        stubs.expect(
            "create_dataset",
            {"datasetArn": DATASETS[t]},
            name=f"shop-{t.lower()}",
            schemaArn=SCHEMAS[t],
            datasetGroupArn=GROUP,
            datasetType=t,
        )
    for t in TYPES:
        stubs.expect(
            "describe_dataset",
            {"dataset": {"datasetArn": DATASETS[t], "status": "ACTIVE"}},
            datasetArn=DATASETS[t],
        )
    stubs.expect(
        "create_event_tracker",
        {"eventTrackerArn": TRACKER, "trackingId": "track-1"},
        name="shop-tracker",
        datasetGroupArn=GROUP,
    )
    stubs.expect(
        "create_filter",
        {"filterArn": FILTER},
        name="not_bought",
        datasetGroupArn=GROUP,
        filterExpression=NOT_BOUGHT,
    )
    stubs.expect(
        "create_recommender",
        {"recommenderArn": RECOMMENDERS["recommended_for_you"]},
        name="shop-recommended-for-you",
        datasetGroupArn=GROUP,
        recipeArn=RECIPES["recommended_for_you"],
        recommenderConfig={"itemExplorationConfig": {"explorationWeight": "0.3"}},
    )
    stubs.expect(
        "create_recommender",
        {"recommenderArn": RECOMMENDERS["best_sellers"]},
        name="shop-best-sellers",
        datasetGroupArn=GROUP,
        recipeArn=RECIPES["best_sellers"],
    )
    stubs.expect(
        "describe_event_tracker",
        {"eventTracker": {"eventTrackerArn": TRACKER, "status": "ACTIVE", "trackingId": "track-1"}},
        eventTrackerArn=TRACKER,
    )
    stubs.expect(
        "describe_filter", {"filter": {"filterArn": FILTER, "status": "ACTIVE"}}, filterArn=FILTER
    )
    for use_case in ("recommended_for_you", "best_sellers"):
        stubs.expect(
            "describe_recommender",
            {"recommender": {"recommenderArn": RECOMMENDERS[use_case], "status": "ACTIVE"}},
            recommenderArn=RECOMMENDERS[use_case],
        )

    out, _ = run("personalize_provision", "--no-input")
    assert "wait     dataset group shop: CREATE PENDING" in out  # progress while waiting
    assert fake_sleep.calls == [10.0]
    assert "Created 11 resource(s); 11 of 11 ACTIVE." in out
    assert snippet_of(out) == {
        "BACKEND": "personalize_sdk.backends.aws.AwsBackend",
        "OPTIONS": {
            "region_name": "us-east-1",
            "tracking_id": "track-1",
            "items_dataset_arn": DATASETS["Items"],
            "users_dataset_arn": DATASETS["Users"],
            "recommenders": RECOMMENDERS,
            "filters": {"not_bought": FILTER},
        },
        "FILTERS": {"not_bought": NOT_BOUGHT},
    }


def test_a_second_run_changes_nothing(stubs):
    expect_listing(stubs)
    out, _ = run("personalize_provision", "--no-input")
    assert "Plan: 0 to create, 0 to wait for, 11 unchanged, 0 blocked." in out
    assert "No changes: everything exists." in out
    assert snippet_of(out)["OPTIONS"]["tracking_id"] == "track-1"


def test_a_partial_state_is_completed(stubs):
    # The group, its schemas and the interactions dataset exist; a recommender is being created.
    expect_listing(
        stubs,
        datasets=("Interactions",),
        tracker=False,
        filters=False,
        recommenders=("recommended_for_you",),
        status="CREATE IN_PROGRESS",
    )
    for t in ("Items", "Users"):
        stubs.expect(
            "create_dataset",
            {"datasetArn": DATASETS[t]},
            name=f"shop-{t.lower()}",
            schemaArn=SCHEMAS[t],
            datasetGroupArn=GROUP,
            datasetType=t,
        )
    for t in ("Items", "Users"):
        stubs.expect(
            "describe_dataset",
            {"dataset": {"datasetArn": DATASETS[t], "status": "ACTIVE"}},
            datasetArn=DATASETS[t],
        )
    stubs.expect(
        "create_event_tracker",
        {"eventTrackerArn": TRACKER, "trackingId": "track-2"},
        name="shop-tracker",
        datasetGroupArn=GROUP,
    )
    stubs.expect(
        "create_filter",
        {"filterArn": FILTER},
        name="not_bought",
        datasetGroupArn=GROUP,
        filterExpression=NOT_BOUGHT,
    )
    stubs.expect(
        "create_recommender",
        {"recommenderArn": RECOMMENDERS["best_sellers"]},
        name="shop-best-sellers",
        datasetGroupArn=GROUP,
        recipeArn=RECIPES["best_sellers"],
    )
    stubs.expect(
        "describe_event_tracker",
        {"eventTracker": {"eventTrackerArn": TRACKER, "status": "ACTIVE", "trackingId": "track-2"}},
        eventTrackerArn=TRACKER,
    )
    stubs.expect(
        "describe_filter", {"filter": {"filterArn": FILTER, "status": "ACTIVE"}}, filterArn=FILTER
    )
    stubs.expect(
        "describe_recommender",
        {
            "recommender": {
                "recommenderArn": RECOMMENDERS["recommended_for_you"],
                "status": "ACTIVE",
            }
        },
        recommenderArn=RECOMMENDERS["recommended_for_you"],
    )
    stubs.expect(
        "describe_recommender",
        {"recommender": {"recommenderArn": RECOMMENDERS["best_sellers"], "status": "ACTIVE"}},
        recommenderArn=RECOMMENDERS["best_sellers"],
    )

    out, _ = run("personalize_provision", "--no-input")
    assert "Plan: 5 to create, 1 to wait for, 5 unchanged, 0 blocked." in out
    assert "Created 5 resource(s); 11 of 11 ACTIVE." in out
    assert snippet_of(out)["OPTIONS"]["recommenders"] == RECOMMENDERS


def test_a_custom_group_plans_solutions_and_campaigns(stubs, settings):
    settings.PERSONALIZE = {
        **SETTINGS,
        "PROVISIONING": {
            "dataset_group": "boutique",
            "domain": "custom",
            "solutions": {"recommended_for_you": {}, "also_viewed": {}, "ranking": {}},
        },
    }
    expect_empty_account(stubs)
    out, _ = run("personalize_provision", "--plan")
    assert "Dataset group boutique (custom):" in out
    for name in ("boutique-recommended-for-you", "boutique-also-viewed", "boutique-ranking"):
        assert f"+ create  solution {name}" in out and f"+ create  campaign {name}" in out
    assert "trains a model" in out


def test_a_blocked_plan_changes_nothing(stubs):
    stubs.expect(
        "list_dataset_groups",
        {"datasetGroups": [{"name": "shop", "datasetGroupArn": GROUP, "status": "ACTIVE"}]},
    )  # custom, settings say ECOMMERCE
    stubs.expect("list_schemas", {"schemas": []})
    stubs.expect("list_datasets", {"datasets": []}, datasetGroupArn=GROUP)
    stubs.expect("list_event_trackers", {"eventTrackers": []}, datasetGroupArn=GROUP)
    stubs.expect("list_filters", {"Filters": []}, datasetGroupArn=GROUP)
    stubs.expect("list_recommenders", {"recommenders": []}, datasetGroupArn=GROUP)
    with pytest.raises(CommandError, match="blocked actions; nothing was changed.*domain"):
        run("personalize_provision", "--no-input")


def test_a_service_error_is_a_command_error(stubs):
    expect_empty_account(stubs)
    stubs.personalize.add_client_error(
        "create_dataset_group",
        service_error_code="LimitExceededException",
        service_message="too many dataset groups",
    )
    with pytest.raises(
        CommandError, match="(?s)LimitExceededException: too many.*run the command again"
    ):
        run("personalize_provision", "--no-input")


def test_without_provisioning_settings(settings):
    settings.PERSONALIZE = {"BACKEND": "memory"}
    with pytest.raises(CommandError, match=r"PERSONALIZE\['PROVISIONING'\] is not set"):
        run("personalize_provision", "--plan")


def test_a_typo_in_the_settings_is_named(settings):
    settings.PERSONALIZE = {
        **SETTINGS,
        "PROVISIONING": {"dataset_group": "shop", "recommender": {}},
    }
    with pytest.raises(CommandError, match="'recommender': unknown key"):
        run("personalize_provision", "--plan")
