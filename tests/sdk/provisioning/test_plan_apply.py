"""plan/apply against botocore's Stubber: a full run on an empty account, a second run
that changes nothing, a partial state completed, failures, and plan-only."""

from __future__ import annotations

import ast
import json

import pytest

from personalize_sdk.dataset import default_format
from personalize_sdk.provisioning import ProvisioningError, apply, plan, settings_snippet

from ...conftest import FakeSleep
from .conftest import ANY, arn

NOT_BOUGHT = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'
SETTINGS = {
    "dataset_group": "shop",
    "region_name": "us-east-1",
    "filters": {"not_bought": NOT_BOUGHT},
    "recommenders": {"recommended_for_you": {"exploration_weight": 0.3}, "best_sellers": {}},
}
GROUP = arn("dataset-group", "shop")
SCHEMAS = {t: arn("schema", f"shop-{t.lower()}") for t in ("Interactions", "Items", "Users")}
DATASETS = {t: arn("dataset", f"shop/{t.upper()}") for t in ("Interactions", "Items", "Users")}
TRACKER = arn("event-tracker", "shop-tracker")
FILTER = arn("filter", "not_bought")
RECOMMENDERS = {"recommended_for_you": arn("recommender", "shop-recommended-for-you"),
                "best_sellers": arn("recommender", "shop-best-sellers")}
RECIPES = {"recommended_for_you": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
           "best_sellers": "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-purchases"}


def schema_json(dataset_type: str) -> str:
    return default_format(dataset_type).schema_json()


def expect_empty_listing(account) -> None:
    account.expect("list_dataset_groups", {"datasetGroups": []})
    account.expect("list_schemas", {"schemas": []})


def expect_existing_listing(account, *, datasets=("Interactions", "Items", "Users"), tracker=True, filters=True,
                            recommenders=("recommended_for_you", "best_sellers")) -> None:
    account.expect("list_dataset_groups", {"datasetGroups": [
        {"name": "other", "datasetGroupArn": arn("dataset-group", "other"), "status": "ACTIVE"}],
        "nextToken": "page-2"})
    account.expect("list_dataset_groups", {"datasetGroups": [
        {"name": "shop", "datasetGroupArn": GROUP, "status": "ACTIVE", "domain": "ECOMMERCE"}]}, nextToken="page-2")
    account.expect("list_schemas", {"schemas": [{"name": f"shop-{t.lower()}", "schemaArn": a, "domain": "ECOMMERCE"}
                                                for t, a in SCHEMAS.items()]})
    for t, a in SCHEMAS.items():
        account.expect("describe_schema", {"schema": {"name": f"shop-{t.lower()}", "schemaArn": a,
                                                      "schema": schema_json(t)}}, schemaArn=a)
    account.expect("list_datasets", {"datasets": [
        {"name": f"shop-{t.lower()}", "datasetArn": DATASETS[t], "datasetType": t.upper(), "status": "ACTIVE"}
        for t in datasets]}, datasetGroupArn=GROUP)
    account.expect("list_event_trackers", {"eventTrackers": [
        {"name": "shop-tracker", "eventTrackerArn": TRACKER, "status": "ACTIVE"}] if tracker else []},
        datasetGroupArn=GROUP)
    if tracker:
        account.expect("describe_event_tracker", {"eventTracker": {"eventTrackerArn": TRACKER, "trackingId": "track-1",
                                                                   "status": "ACTIVE"}}, eventTrackerArn=TRACKER)
    account.expect("list_filters", {"Filters": [{"name": "not_bought", "filterArn": FILTER, "status": "ACTIVE"}]
                                    if filters else []}, datasetGroupArn=GROUP)
    if filters:
        account.expect("describe_filter", {"filter": {"filterArn": FILTER, "filterExpression": NOT_BOUGHT,
                                                      "status": "ACTIVE"}}, filterArn=FILTER)
    account.expect("list_recommenders", {"recommenders": [
        {"name": f"shop-{u.replace('_', '-')}", "recommenderArn": RECOMMENDERS[u], "recipeArn": RECIPES[u],
         "status": "ACTIVE"} for u in recommenders]}, datasetGroupArn=GROUP)


def test_full_plan_and_apply_on_an_empty_account(account):
    expect_empty_listing(account)
    the_plan = plan(account.client, SETTINGS)
    assert [(a.kind, a.id) for a in the_plan.actions] == [
        ("create", "dataset_group"),
        ("create", "schema:Interactions"), ("create", "schema:Items"), ("create", "schema:Users"),
        ("create", "dataset:Interactions"), ("create", "dataset:Items"), ("create", "dataset:Users"),
        ("create", "event_tracker"), ("create", "filter:not_bought"),
        ("create", "recommender:recommended_for_you"), ("create", "recommender:best_sellers"),
    ]
    assert "Plan: 11 to create, 0 to wait for, 0 unchanged, 0 blocked." in the_plan.format()

    account.expect("create_dataset_group", {"datasetGroupArn": GROUP}, name="shop", domain="ECOMMERCE")
    for t in ("Interactions", "Items", "Users"):
        account.expect("create_schema", {"schemaArn": SCHEMAS[t]}, name=f"shop-{t.lower()}", schema=schema_json(t),
                       domain="ECOMMERCE")
    account.describe("describe_dataset_group", "datasetGroup", "datasetGroupArn", GROUP,
                     "CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")
    for t in ("Interactions", "Items", "Users"):
        account.expect("create_dataset", {"datasetArn": DATASETS[t]}, name=f"shop-{t.lower()}",
                       schemaArn=SCHEMAS[t], datasetGroupArn=GROUP, datasetType=t)
    for t in ("Interactions", "Items", "Users"):
        account.describe("describe_dataset", "dataset", "datasetArn", DATASETS[t], "ACTIVE")
    account.expect("create_event_tracker", {"eventTrackerArn": TRACKER, "trackingId": "track-1"},
                   name="shop-tracker", datasetGroupArn=GROUP)
    account.expect("create_filter", {"filterArn": FILTER}, name="not_bought", datasetGroupArn=GROUP,
                   filterExpression=NOT_BOUGHT)
    account.expect("create_recommender", {"recommenderArn": RECOMMENDERS["recommended_for_you"]},
                   name="shop-recommended-for-you", datasetGroupArn=GROUP, recipeArn=RECIPES["recommended_for_you"],
                   recommenderConfig={"itemExplorationConfig": {"explorationWeight": "0.3"}})
    account.expect("create_recommender", {"recommenderArn": RECOMMENDERS["best_sellers"]},
                   name="shop-best-sellers", datasetGroupArn=GROUP, recipeArn=RECIPES["best_sellers"])
    account.describe("describe_event_tracker", "eventTracker", "eventTrackerArn", TRACKER, "ACTIVE", trackingId="track-1")
    account.describe("describe_filter", "filter", "filterArn", FILTER, "CREATE IN_PROGRESS", "ACTIVE")
    for use_case in ("recommended_for_you", "best_sellers"):
        account.describe("describe_recommender", "recommender", "recommenderArn", RECOMMENDERS[use_case], "ACTIVE")

    sleep, events = FakeSleep(), []
    result = apply(account.client, the_plan, sleep=sleep, poll_interval=2, progress=events.append)
    assert len(result.created) == 11 and len(result.ready) == 11
    assert sleep.calls == [2, 3.0, 2]  # backed off while the group was created, then once for the filter
    assert [str(e) for e in events][:2] == ["create   dataset group shop", "created  dataset group shop"]
    assert any(e.action == "wait" and e.status == "CREATE PENDING" for e in events)
    assert result.state.tracking_id == "track-1"

    snippet = settings_snippet(result)
    settings = ast.literal_eval(snippet.split("PERSONALIZE = ", 1)[1])
    assert settings == {
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
    assert "Not created yet" not in snippet


def test_a_second_run_changes_nothing(account):
    expect_existing_listing(account)
    the_plan = plan(account.client, SETTINGS)
    assert the_plan.is_empty and the_plan.changes == [] and the_plan.warnings == []
    assert {a.kind for a in the_plan.actions} == {"keep"}
    # No call is queued: any Create* (or any other call) would fail the Stubber.
    result = apply(account.client, the_plan, sleep=FakeSleep())
    assert result.created == []
    assert result.state.tracking_id == "track-1" and result.state.recommenders == RECOMMENDERS


def test_a_partial_state_is_completed(account):
    expect_existing_listing(account, datasets=("Interactions",), tracker=False, recommenders=("best_sellers",))
    the_plan = plan(account.client, SETTINGS)
    assert [a.id for a in the_plan.changes] == [
        "dataset:Items", "dataset:Users", "event_tracker", "recommender:recommended_for_you"]

    for t in ("Items", "Users"):
        account.expect("create_dataset", {"datasetArn": DATASETS[t]}, name=f"shop-{t.lower()}",
                       schemaArn=SCHEMAS[t], datasetGroupArn=GROUP, datasetType=t)
    for t in ("Items", "Users"):
        account.describe("describe_dataset", "dataset", "datasetArn", DATASETS[t], "ACTIVE")
    account.expect("create_event_tracker", {"eventTrackerArn": TRACKER, "trackingId": "track-2"},
                   name="shop-tracker", datasetGroupArn=GROUP)
    account.expect("create_recommender", {"recommenderArn": RECOMMENDERS["recommended_for_you"]},
                   name="shop-recommended-for-you", datasetGroupArn=GROUP, recipeArn=RECIPES["recommended_for_you"],
                   recommenderConfig=ANY)
    account.describe("describe_event_tracker", "eventTracker", "eventTrackerArn", TRACKER, "ACTIVE", trackingId="track-2")
    account.describe("describe_recommender", "recommender", "recommenderArn", RECOMMENDERS["recommended_for_you"],
                     "ACTIVE")
    result = apply(account.client, the_plan, sleep=FakeSleep())
    assert result.created == the_plan_ids(the_plan)
    assert result.state.tracking_id == "track-2"


def the_plan_ids(the_plan):
    return [a.id for a in the_plan.actions if a.kind == "create"]


def test_plan_only_makes_no_create_call(account):
    expect_empty_listing(account)
    the_plan = plan(account.client, SETTINGS)
    assert the_plan.count("create") == 11
    # the fixture checks that the two List calls were all the calls made


def test_a_resource_that_fails_raises_with_the_failure_reason(account):
    expect_existing_listing(account, filters=False)
    the_plan = plan(account.client, SETTINGS)
    account.expect("create_filter", {"filterArn": FILTER}, name="not_bought", datasetGroupArn=GROUP,
                   filterExpression=NOT_BOUGHT)
    account.describe("describe_filter", "filter", "filterArn", FILTER, "CREATE FAILED",
                     failureReason="Items dataset has no CATEGORY field")
    with pytest.raises(ProvisioningError, match="filter 'not_bought' is CREATE FAILED: Items dataset has no") as info:
        apply(account.client, the_plan, sleep=FakeSleep())
    assert info.value.failure_reason == "Items dataset has no CATEGORY field"
    assert info.value.arn == FILTER


def test_a_service_error_on_create_names_the_resource(account):
    expect_existing_listing(account, filters=False)
    the_plan = plan(account.client, SETTINGS)
    account.fail("create_filter", "LimitExceededException", "too many filters")
    with pytest.raises(ProvisioningError, match="create_filter for filter 'not_bought' failed: LimitExceededException"):
        apply(account.client, the_plan, sleep=FakeSleep())


def test_waiting_is_bounded(account):
    expect_existing_listing(account, filters=False)
    the_plan = plan(account.client, SETTINGS)
    account.expect("create_filter", {"filterArn": FILTER}, name="not_bought", datasetGroupArn=GROUP,
                   filterExpression=NOT_BOUGHT)
    account.describe("describe_filter", "filter", "filterArn", FILTER, *["CREATE IN_PROGRESS"] * 3)
    sleep = FakeSleep()
    with pytest.raises(ProvisioningError, match="gave up waiting for filter 'not_bought' after 25 s \\(still CREATE IN_PROGRESS\\)"):
        apply(account.client, the_plan, sleep=sleep, poll_interval=10, timeouts={"filter": 25})
    assert sleep.calls == [10, 15.0]


def test_a_group_of_another_domain_blocks_the_plan_and_apply_changes_nothing(account):
    account.expect("list_dataset_groups", {"datasetGroups": [
        {"name": "shop", "datasetGroupArn": GROUP, "status": "ACTIVE"}]})  # a custom group
    account.expect("list_schemas", {"schemas": []})
    account.expect("list_datasets", {"datasets": []}, datasetGroupArn=GROUP)
    account.expect("list_event_trackers", {"eventTrackers": []}, datasetGroupArn=GROUP)
    account.expect("list_filters", {"Filters": []}, datasetGroupArn=GROUP)
    account.expect("list_recommenders", {"recommenders": []}, datasetGroupArn=GROUP)
    the_plan = plan(account.client, SETTINGS)
    assert [a.id for a in the_plan.blocked] == ["dataset_group"]
    with pytest.raises(ProvisioningError, match="1 blocked action.*nothing was changed.*domain"):
        apply(account.client, the_plan)


def test_drift_is_reported_not_changed(account):
    account.expect("list_dataset_groups", {"datasetGroups": [
        {"name": "shop", "datasetGroupArn": GROUP, "status": "ACTIVE", "domain": "ECOMMERCE"}]})
    account.expect("list_schemas", {"schemas": [{"name": f"shop-{t.lower()}", "schemaArn": a, "domain": "ECOMMERCE"}
                                                for t, a in SCHEMAS.items()]})
    for t, a in SCHEMAS.items():
        body = schema_json(t) if t != "Items" else json.dumps({"type": "record", "name": "Items", "fields": []})
        account.expect("describe_schema", {"schema": {"schemaArn": a, "schema": body}}, schemaArn=a)
    account.expect("list_datasets", {"datasets": [
        {"name": f"shop-{t.lower()}", "datasetArn": DATASETS[t], "datasetType": t.upper(), "status": "ACTIVE"}
        for t in ("Interactions", "Items", "Users")]}, datasetGroupArn=GROUP)
    account.expect("list_filters", {"Filters": [{"name": "not_bought", "filterArn": FILTER, "status": "ACTIVE"}]},
                   datasetGroupArn=GROUP)
    account.expect("describe_filter", {"filter": {"filterArn": FILTER, "status": "ACTIVE",
                                                  "filterExpression": "EXCLUDE ItemID WHERE Items.PRICE > 100"}},
                   filterArn=FILTER)
    account.expect("list_recommenders", {"recommenders": []}, datasetGroupArn=GROUP)
    the_plan = plan(account.client, dict(SETTINGS, event_tracker=False, recommenders=["best_sellers"]))
    assert the_plan.blocked == []  # the Items dataset exists: the schema difference is drift
    assert the_plan.warnings == [
        "schema 'shop-items' exists with other fields than the settings describe",
        "filter 'not_bought' exists with another expression; filters cannot change: delete it, "
        "or give the new expression another name",
    ]
    assert [a.id for a in the_plan.changes] == ["recommender:best_sellers"]


def test_a_schema_conflict_blocks_a_dataset_that_would_use_it(account):
    account.expect("list_dataset_groups", {"datasetGroups": []})
    account.expect("list_schemas", {"schemas": [{"name": "shop-interactions", "schemaArn": SCHEMAS["Interactions"]}]})
    account.expect("describe_schema", {"schema": {"schema": schema_json("Interactions")}},
                   schemaArn=SCHEMAS["Interactions"])
    the_plan = plan(account.client, {"dataset_group": "shop", "datasets": ["Interactions"], "train": False})
    assert [a.id for a in the_plan.blocked] == ["schema:Interactions"]
    assert the_plan.warnings == ["schema 'shop-interactions' exists for the custom domain, not ECOMMERCE"]
    assert "give the new one another name" in the_plan.format()


def test_train_false_defers_recommenders(account):
    expect_empty_listing(account)
    the_plan = plan(account.client, dict(SETTINGS, train=False))
    assert not any(a.resource == "recommender" for a in the_plan.actions)
    assert the_plan.deferred == ["recommender shop-recommended-for-you", "recommender shop-best-sellers"]


def test_a_custom_group_gets_solutions_versions_and_campaigns(account):
    solution, version, campaign = arn("solution", "c-ranking"), arn("solution", "c-ranking/1"), arn("campaign", "c-ranking")
    group = arn("dataset-group", "c")
    settings = {"dataset_group": "c", "domain": "custom", "datasets": ["Interactions"], "event_tracker": False,
                "solutions": {"ranking": {}, "recommended_for_you": {"recipe": "user-personalization",
                                                                      "exploration_weight": 0.5}}}
    account.expect("list_dataset_groups", {"datasetGroups": []})
    account.expect("list_schemas", {"schemas": []})
    the_plan = plan(account.client, settings)
    assert [a.id for a in the_plan.actions][-6:] == [
        "solution:ranking", "solution_version:ranking", "campaign:ranking",
        "solution:recommended_for_you", "solution_version:recommended_for_you", "campaign:recommended_for_you"]

    account.expect("create_dataset_group", {"datasetGroupArn": group}, name="c")
    account.expect("create_schema", {"schemaArn": arn("schema", "c-interactions")}, name="c-interactions",
                   schema=schema_json("Interactions"))
    account.describe("describe_dataset_group", "datasetGroup", "datasetGroupArn", group, "ACTIVE")
    dataset = arn("dataset", "c/INTERACTIONS")
    account.expect("create_dataset", {"datasetArn": dataset}, name="c-interactions",
                   schemaArn=arn("schema", "c-interactions"), datasetGroupArn=group, datasetType="Interactions")
    account.describe("describe_dataset", "dataset", "datasetArn", dataset, "ACTIVE")
    account.expect("create_solution", {"solutionArn": solution}, name="c-ranking", datasetGroupArn=group,
                   recipeArn="arn:aws:personalize:::recipe/aws-personalized-ranking-v2", performAutoTraining=True)
    account.describe("describe_solution", "solution", "solutionArn", solution, "ACTIVE")
    account.expect("create_solution_version", {"solutionVersionArn": version}, solutionArn=solution,
                   trainingMode="FULL")
    account.describe("describe_solution_version", "solutionVersion", "solutionVersionArn", version,
                     "CREATE IN_PROGRESS", "ACTIVE")
    account.expect("create_campaign", {"campaignArn": campaign}, name="c-ranking",
                   solutionVersionArn=f"{solution}/$LATEST", minProvisionedTPS=1,
                   campaignConfig={"syncWithLatestSolutionVersion": True})
    up, up_version, up_campaign = (arn("solution", "c-up"), arn("solution", "c-up/1"), arn("campaign", "c-up"))
    account.expect("create_solution", {"solutionArn": up}, name="c-recommended-for-you", datasetGroupArn=group,
                   recipeArn="arn:aws:personalize:::recipe/aws-user-personalization", performAutoTraining=True)
    account.describe("describe_solution", "solution", "solutionArn", up, "ACTIVE")
    account.expect("create_solution_version", {"solutionVersionArn": up_version}, solutionArn=up, trainingMode="FULL")
    account.describe("describe_solution_version", "solutionVersion", "solutionVersionArn", up_version, "ACTIVE")
    account.expect("create_campaign", {"campaignArn": up_campaign}, name="c-recommended-for-you",
                   solutionVersionArn=f"{up}/$LATEST", minProvisionedTPS=1, campaignConfig={
                       "itemExplorationConfig": {"explorationWeight": "0.5", "explorationItemAgeCutOff": "30"},
                       "syncWithLatestSolutionVersion": True})
    account.describe("describe_campaign", "campaign", "campaignArn", campaign, "ACTIVE")
    account.describe("describe_campaign", "campaign", "campaignArn", up_campaign, "ACTIVE")
    result = apply(account.client, the_plan, sleep=FakeSleep())
    options = ast.literal_eval(settings_snippet(result).split("PERSONALIZE = ", 1)[1])["OPTIONS"]
    assert options == {"campaigns": {"recommended_for_you": up_campaign}, "ranking_campaign": campaign}
